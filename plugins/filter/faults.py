# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""Filters that turn the scenario catalog (roles/faults/vars/main.yml) into the faults of one lab."""

from __future__ import annotations

import hashlib
from typing import Any

from ansible.errors import AnsibleFilterError

# Documented in fault_plan.yml and chosen_scenarios.yml beside this file.


def scenario_names(scenarios: Any) -> list[str]:
    if scenarios in (None, "", []):
        return []
    if isinstance(scenarios, str):
        scenarios = scenarios.split(",")
    return [str(name).strip() for name in scenarios if str(name).strip()]


def pick(fault: dict[str, Any], lab_seed: Any) -> Any:
    if lab_seed in (None, ""):
        return fault["seed"]
    variants = fault["variants"]
    digest = hashlib.sha256(f"{lab_seed}/{fault['id']}".encode()).hexdigest()
    return variants[int(digest, 16) % len(variants)]


def chosen_scenarios(catalog: list[dict[str, Any]], scenarios: Any = None) -> list[dict[str, Any]]:
    """The catalog's scenarios named (all when none is), in the catalog's order."""
    known = [scenario["name"] for scenario in catalog]
    wanted = scenario_names(scenarios) or known
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise AnsibleFilterError(f"unknown scenario {', '.join(unknown)}: choose from {', '.join(known)}")
    return [scenario for scenario in catalog if scenario["name"] in wanted]


def fault_plan(catalog: list[dict[str, Any]], scenarios: Any = None, lab_seed: Any = None) -> list[dict[str, Any]]:
    return [
        {**scenario, "faults": [{**fault, "value": pick(fault, lab_seed)} for fault in scenario["faults"]]}
        for scenario in chosen_scenarios(catalog, scenarios)
    ]


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"fault_plan": fault_plan, "chosen_scenarios": chosen_scenarios}
