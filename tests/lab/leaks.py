"""What must never reach a learner from verify: the values a break injected into their lab, the
diagnoses, and the names of the checks (they say where the faults are). The scan looks for each as
a whole token, in every form a value takes in kubectl's, YAML's or a sentence's words."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import yaml

from cloudmart_lab.paths import REPO

FAULTS_TASKS = REPO / "roles" / "faults" / "tasks"

# The name that fails to resolve is the symptom itself: a learner sees it with nslookup.
SHOWN_AS_SYMPTOM = {"dns-nxdomain"}


def leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in leaves(item)]
    return [value]


def names_in(catalog: list[dict[str, Any]]) -> set[str]:
    """Names of the platform's own objects and healthy values: a learner sees them anyway."""
    names: set[str] = set()
    for scenario in catalog:
        for fault in scenario["faults"]:
            names |= {str(fault[key]) for key in ("namespace", "service", "deployment", "claim", "policy") if key in fault}
            names |= {str(leaf) for leaf in leaves(fault.get("healthy")) + leaves(fault.get("pods"))}
    return names


def injected_tokens(catalog: list[dict[str, Any]], values: dict[str, Any]) -> set[str]:
    """Every form of every value this lab's break injected that a learner must not be told."""
    known = names_in(catalog)
    faults = {fault["id"]: fault for scenario in catalog for fault in scenario["faults"]}
    tokens: set[str] = set()
    for fault_id, value in values.items():
        if fault_id in SHOWN_AS_SYMPTOM:
            continue
        healthy = {str(leaf) for leaf in leaves(faults[fault_id].get("healthy"))}
        pairs = value.items() if isinstance(value, dict) else [(None, value)]
        for key, item in pairs:
            for leaf in leaves(item):
                text = str(leaf)
                if text in healthy:
                    continue
                if key is not None and (text not in known or text.isdigit()):
                    tokens |= {f"{key}={text}", f"{key}: {text}", f'"{key}": "{text}"'}
                # a bare value is told apart from ordinary words when it has some length, is not one
                # of the platform's own names and looks like a name, not a word (a port like 3000; a
                # class, size, access mode or image tag; a label value such as "stable" is scanned as
                # release=stable only)
                bare = len(text) >= 3 and text not in known and not re.fullmatch(r"\d{1,2}|\d+%", text)
                if bare and (key is None or re.search(r"[\d\-:/.]|[a-z][A-Z]", text)):
                    tokens.add(text)
    return tokens


def found_in(text: str, tokens: Iterable[str]) -> list[str]:
    """The tokens that occur in the text as whole tokens (not inside a longer name or number)."""
    return sorted(t for t in tokens if re.search(rf"(?<![\w.:/-]){re.escape(t)}(?![\w-])", text))


def check_ids(catalog: list[dict[str, Any]]) -> set[str]:
    return {check for scenario in catalog for level in scenario["checks"].values() for check in level}


def diagnoses(instructor_report: dict[str, Any]) -> set[str]:
    """The instructor's diagnoses of one run that say more than the learner's symptom of them."""
    return {
        finding["diagnosis"]
        for check in instructor_report["checks"]
        for finding in check["findings"]
        if finding["diagnosis"] != finding["symptom"] and len(finding["diagnosis"]) > 12
    }


def leaks(text: str, catalog: list[dict[str, Any]], values: dict[str, Any], instructor_report: dict[str, Any]) -> list[str]:
    """What of the answer key the text tells: injected values, diagnoses, check names."""
    said = [f"injected value {t!r}" for t in found_in(text, injected_tokens(catalog, values))]
    said += [f"diagnosis {d!r}" for d in sorted(diagnoses(instructor_report)) if d in text]
    said += [f"check name {c!r}" for c in found_in(text, check_ids(catalog))]
    return said


def task_names_of_kinds() -> set[str]:
    """The names of the tasks that break, repair and wait for each kind of fault (up to any
    template in them): each says what a break changes."""
    names: set[str] = set()
    for folder in ("kinds", "waits"):
        for path in sorted((FAULTS_TASKS / folder).glob("*.yml")):
            for task in yaml.safe_load(path.read_text()) or []:
                names.add(task["name"].split("{{")[0].strip())
    return names


def tells_the_tasks(output: str, catalog: list[dict[str, Any]]) -> list[str]:
    """The lines of a learner's run that show a task, an included file, a kind of fault or the
    name of a task that acts on one: the learner's plays print none (plugins/callback/lab_output.py)."""
    kinds = {fault["kind"] for scenario in catalog for fault in scenario["faults"]}
    # a one-word kind ("claim") is also a word of the symptoms: its file's name tells
    telling = task_names_of_kinds() | {k for k in kinds if "_" in k} | {f"{k}.yml" for k in kinds} | {"TASK [", "included:"}
    return [line for line in output.splitlines() if any(word in line for word in telling)]
