# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""Filters that turn the scenario catalog (roles/faults/vars/main.yml) into the faults of one lab."""

from __future__ import annotations

import hashlib
from typing import Any

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: fault_plan
short_description: The chosen scenarios of the catalog, each fault with the wrong value this lab gets
description:
  - Without a lab seed every fault gets the value the seed document gives; with one, one of its
    variants, the same for the same lab seed, so an instructor can reproduce a learner's faults.
  - An unknown scenario name is an error that lists the known ones.
positional: scenarios, lab_seed
options:
  _input:
    description: The catalog (C(faults_catalog)).
    type: list
    required: true
  scenarios:
    description: Names of the scenarios to plan, as a list or a comma-separated string; all when empty.
    type: raw
  lab_seed:
    description: The lab seed; empty for the seed document's values.
    type: str
"""


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


def fault_plan(catalog: list[dict[str, Any]], scenarios: Any = None, lab_seed: Any = None) -> list[dict[str, Any]]:
    known = [scenario["name"] for scenario in catalog]
    wanted = scenario_names(scenarios) or known
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise AnsibleFilterError(f"unknown scenario {', '.join(unknown)}: choose from {', '.join(known)}")
    return [
        {**scenario, "faults": [{**fault, "value": pick(fault, lab_seed)} for fault in scenario["faults"]]}
        for scenario in catalog
        if scenario["name"] in wanted
    ]


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"fault_plan": fault_plan}
