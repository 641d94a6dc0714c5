# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""Filters that turn the scenario catalog (lookup cloudmart.lab.scenarios) into the faults of one lab."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.cloudmart.lab.plugins.module_utils import scenario_catalog
from ansible_collections.cloudmart.lab.plugins.module_utils.scenario_catalog import CatalogError, Scenario

# Documented in fault_plan.yml, chosen_scenarios.yml and scenario_order.yml beside this file.


def chosen_scenarios(catalog: list[Scenario], scenarios: Any = None) -> list[Scenario]:
    try:
        return scenario_catalog.chosen(catalog, scenarios)
    except CatalogError as err:
        raise AnsibleFilterError(str(err)) from err


def fault_plan(catalog: list[Scenario], scenarios: Any = None, lab_seed: Any = None) -> list[Scenario]:
    try:
        return scenario_catalog.plan(catalog, scenarios, lab_seed)
    except CatalogError as err:
        raise AnsibleFilterError(str(err)) from err


def scenario_order(scenarios: list[Scenario], action: str) -> list[Scenario]:
    try:
        return scenario_catalog.in_order(scenarios, action)
    except CatalogError as err:
        raise AnsibleFilterError(str(err)) from err


def time_boxes(scenarios: list[Scenario], overrides: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Each scenario's name and time box in minutes: the catalog's, unless overrides names it."""
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - {scenario["name"] for scenario in scenarios})
    if unknown:
        raise AnsibleFilterError(f"lab_time_boxes names {', '.join(unknown)}, which the challenge does not present")
    try:
        return [{"name": s["name"], "minutes": float(overrides.get(s["name"]) or s["time_box_minutes"])} for s in scenarios]
    except (TypeError, ValueError) as err:
        raise AnsibleFilterError(f"lab_time_boxes gives minutes as numbers: {err}") from err


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "fault_plan": fault_plan,
            "chosen_scenarios": chosen_scenarios,
            "scenario_order": scenario_order,
            "time_boxes": time_boxes,
        }
