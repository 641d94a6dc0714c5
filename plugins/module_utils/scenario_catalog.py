# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""The scenario catalog (scenario_catalog.yml beside this file): its one loader, the check of its
shape, and how one lab's faults are planned from it. break, solve, reset and verify read it
through the lookup cloudmart.lab.scenarios and the filters of plugins/filter/faults.py; the
project's tests import this module."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

CATALOG_FILE = Path(__file__).with_name("scenario_catalog.yml")

# Each kind is broken and repaired by roles/faults/tasks/kinds/<kind>.yml; each wait is
# roles/faults/tasks/waits/<wait>.yml. The fields each needs beyond id, kind, seed and variants:
KINDS: dict[str, tuple[str, ...]] = {
    "static_pod_flag": ("manifest", "flag", "healthy"),
    "service_target_port": ("namespace", "service", "port", "healthy"),
    "service_selector": ("namespace", "service", "healthy"),
    "dns_nxdomain": (),
    "network_policy": ("namespace", "policy", "pods"),
    "claim": ("namespace", "claim", "healthy"),
    "rollout": ("namespace", "deployment", "field"),
}
ROLLOUT_FIELDS = ("strategy", "image", "requests", "liveness")
WAITS: dict[str, tuple[str, ...]] = {
    "api_server_stopped": (),
    "api_server_answers": (),
    "cluster_healthy": ("namespaces",),
    "rollout_complete": ("namespace", "deployment"),
    "backed_off_pods_restarted": (),
    "ingress_answers": ("path",),
    "shop_serves": ("path",),
    "watchers_restarted": ("namespace", "daemonset"),
    "static_pods_running": (),
}
ACTIONS = ("break", "solve")
LEVELS = ("basic", "root", "prevention")
# Every text a learner reads is written in each of the lab's languages (lab_language).
LANGUAGES = ("en", "ko")
# The scenario's texts for learners: one text per language, or (marked True) a list per language.
LEARNER_TEXTS = {"title": False, "symptoms": True, "repair": True, "debrief": False}
SCENARIO_FIELDS = (
    "name",
    "title",
    "seed_section",
    "time_box_minutes",
    "points",
    "symptoms",
    "hints",
    "check_hints",
    "repair",
    "debrief",
    "order",
    "checks",
    "faults",
)

Scenario = dict[str, Any]


class CatalogError(ValueError):
    """The catalog or a request made of it is wrong; the message is one line for a person."""


def load(path: Path = CATALOG_FILE) -> list[Scenario]:
    """The catalog's scenarios, in their order, once their shape is checked."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise CatalogError(f"cannot read the scenario catalog {path}: {err}") from err
    scenarios = data.get("scenarios") if isinstance(data, dict) else None
    if not isinstance(scenarios, list) or not scenarios:
        raise CatalogError(f"the scenario catalog {path} has no list of scenarios")
    check(scenarios)
    return scenarios


def check(scenarios: list[Scenario]) -> None:
    """Raise CatalogError naming the first thing wrong with the catalog's shape."""
    names: set[str] = set()
    ids: set[str] = set()
    for scenario in scenarios:
        name = scenario.get("name", "?")
        missing = [field for field in SCENARIO_FIELDS if field not in scenario]
        if missing:
            raise CatalogError(f"scenario {name} lacks {', '.join(missing)}")
        if name in names:
            raise CatalogError(f"scenario {name} is defined twice")
        names.add(name)
        if sorted(scenario["order"]) != sorted(ACTIONS):
            raise CatalogError(f"scenario {name}: order must give a place for {' and '.join(ACTIONS)}")
        if not isinstance(scenario.get("takes_the_api_down", False), bool):
            raise CatalogError(f"scenario {name}: takes_the_api_down is true or false")
        if set(scenario["checks"]) - set(LEVELS):
            raise CatalogError(f"scenario {name}: checks are grouped by level, one of {', '.join(LEVELS)}")
        _check_texts(scenario)
        for action in ACTIONS:
            for wait in scenario.get(f"after_{action}", []):
                _check_wait(name, wait)
        if not scenario["faults"]:
            raise CatalogError(f"scenario {name} has no faults")
        for fault in scenario["faults"]:
            _check_fault(name, fault, ids)


def _check_text(where: str, text: Any, *, listed: bool = False) -> None:
    """A learner's text: a mapping with a non-empty text (or list of texts) for every language."""
    if not isinstance(text, dict) or sorted(text) != sorted(LANGUAGES):
        raise CatalogError(f"{where} is written in each of {', '.join(LANGUAGES)}, and only those")
    for language, said in text.items():
        shape_ok = isinstance(said, list) and all(isinstance(s, str) and s for s in said) if listed else isinstance(said, str)
        if not said or not shape_ok:
            raise CatalogError(f"{where} in {language} is {'a list of texts' if listed else 'one text'}")


def _check_texts(scenario: Scenario) -> None:
    name = scenario["name"]
    for field, listed in LEARNER_TEXTS.items():
        _check_text(f"scenario {name}: {field}", scenario[field], listed=listed)
    if not isinstance(scenario["hints"], list) or not scenario["hints"]:
        raise CatalogError(f"scenario {name}: hints is a list of tiers")
    for tier, hint in enumerate(scenario["hints"], start=1):
        _check_text(f"scenario {name}: hint {tier}", hint)
    checked = {check for level in scenario["checks"].values() for check in level}
    for check, hint in scenario["check_hints"].items():
        if check not in checked:
            raise CatalogError(f"scenario {name}: check_hints names {check}, which is not one of its checks")
        _check_text(f"scenario {name}: the hint of {check}", hint)


def _check_wait(scenario: str, wait: dict[str, Any]) -> None:
    kind = wait.get("wait")
    if kind not in WAITS:
        raise CatalogError(f"scenario {scenario}: unknown wait {kind} (known: {', '.join(WAITS)})")
    missing = [field for field in WAITS[kind] if field not in wait]
    if missing:
        raise CatalogError(f"scenario {scenario}: the wait {kind} lacks {', '.join(missing)}")


def _check_fault(scenario: str, fault: dict[str, Any], ids: set[str]) -> None:
    fault_id, kind = fault.get("id", "?"), fault.get("kind")
    where = f"scenario {scenario}, fault {fault_id}"
    if fault_id in ids:
        raise CatalogError(f"{where}: the id is used twice")
    ids.add(fault_id)
    if kind not in KINDS:
        raise CatalogError(f"{where}: unknown kind {kind} (known: {', '.join(KINDS)})")
    missing = [field for field in ("seed", "variants", *KINDS[kind]) if field not in fault]
    if missing:
        raise CatalogError(f"{where}: a {kind} fault needs {', '.join(missing)}")
    if not fault["variants"]:
        raise CatalogError(f"{where}: a lab_seed needs at least one variant")
    if kind == "rollout" and fault["field"] not in ROLLOUT_FIELDS:
        raise CatalogError(f"{where}: a rollout fault changes one of {', '.join(ROLLOUT_FIELDS)}")
    if "healthy" in fault and any(wrong == fault["healthy"] for wrong in [fault["seed"], *fault["variants"]]):
        raise CatalogError(f"{where}: a wrong value equals the healthy one")


def scenario_names(scenarios: Any) -> list[str]:
    """Names given as a list or as one comma-separated string; none for an empty value."""
    if scenarios in (None, "", []):
        return []
    if isinstance(scenarios, str):
        scenarios = scenarios.split(",")
    return [str(name).strip() for name in scenarios if str(name).strip()]


def chosen(catalog: list[Scenario], scenarios: Any = None) -> list[Scenario]:
    """The catalog's scenarios named (all when none is), in the catalog's order."""
    known = [scenario["name"] for scenario in catalog]
    wanted = scenario_names(scenarios) or known
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise CatalogError(f"unknown scenario {', '.join(unknown)}: choose from {', '.join(known)}")
    return [scenario for scenario in catalog if scenario["name"] in wanted]


def pick(fault: dict[str, Any], lab_seed: Any) -> Any:
    """The seed document's value without a lab seed; otherwise the variant this lab seed picks."""
    if lab_seed in (None, ""):
        return fault["seed"]
    variants = fault["variants"]
    digest = hashlib.sha256(f"{lab_seed}/{fault['id']}".encode()).hexdigest()
    return variants[int(digest, 16) % len(variants)]


def plan(catalog: list[Scenario], scenarios: Any = None, lab_seed: Any = None) -> list[Scenario]:
    """The chosen scenarios, each fault with the wrong `value` this lab gets."""
    return [
        {**scenario, "faults": [{**fault, "value": pick(fault, lab_seed)} for fault in scenario["faults"]]}
        for scenario in chosen(catalog, scenarios)
    ]


def in_order(scenarios: list[Scenario], action: str) -> list[Scenario]:
    """The scenarios in the order they are broken or repaired (the catalog's order among equals)."""
    if action not in ACTIONS:
        raise CatalogError(f"unknown action {action}: one of {', '.join(ACTIONS)}")
    return sorted(scenarios, key=lambda scenario: scenario["order"][action])


def fault_kinds(scenario: Scenario) -> list[str]:
    """The kinds of the scenario's faults, each once, in the order they first appear."""
    return list(dict.fromkeys(fault["kind"] for fault in scenario["faults"]))
