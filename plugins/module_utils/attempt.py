# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""A learner's attempt at the lab's scenarios: the hints they bought (tier, when, what it cost),
when they gave a scenario up, when it was first seen repaired, and their own root-cause and
prevention statement. Kept on the controller beside the cluster's kubeconfig (attempt.json); the
learner_attempt module writes it, verify reads it to score and to time."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from ansible_collections.cloudmart.lab.plugins.module_utils import record_file

Record = dict[str, Any]
ACTIONS = ("started", "hint", "given_up", "timed_out", "repaired", "statement", "cleared")


class AttemptError(ValueError):
    """A request the record cannot take; the message is one line for a person."""


def load(path: Path) -> Record:
    """The record, or an empty one when there is none yet."""
    try:
        record = record_file.read(path, "the lab's attempt record")
    except record_file.RecordError as err:
        raise AttemptError(str(err)) from err
    if record is None:
        return {"scenarios": {}}
    if not isinstance(record, dict) or not isinstance(record.get("scenarios"), dict):
        raise AttemptError(f"{path} is not the lab's attempt record; remove it to start afresh")
    return record


def dump(record: Record) -> str:
    return record_file.dump(record)


def apply(record: Record, action: str, scenario: str | None, at: str, **details: Any) -> Record:
    """The record after an action (the one given is left as it was). Taking what is taken already
    (a hint tier bought, a scenario given up or repaired) changes nothing."""
    if action not in ACTIONS:
        raise AttemptError(f"unknown action {action}: one of {', '.join(ACTIONS)}")
    after = copy.deepcopy(record)
    scenarios: dict[str, Any] = after.setdefault("scenarios", {})
    if action == "cleared":
        if scenario:
            scenarios.pop(scenario, None)
        else:
            scenarios.clear()
        return after
    if not scenario:
        raise AttemptError(f"the action {action} needs a scenario")
    if action == "started":
        scenarios[scenario] = {"started_at": at, "hints": []}
        return after
    entry = scenarios.setdefault(scenario, {"started_at": None, "hints": []})
    if action == "hint":
        tier = int(details["tier"])
        if tier not in {hint["tier"] for hint in entry["hints"]}:
            entry["hints"].append({"tier": tier, "at": at, "cost_percent": float(details.get("cost_percent", 0))})
    elif action == "given_up":
        entry.setdefault("given_up_at", at)
    elif action == "timed_out":
        entry.setdefault("timed_out_at", at)
    elif action == "repaired":
        entry.setdefault("repaired_at", at)
    elif action == "statement":
        text = str(details.get("statement") or "").strip()
        if not text:
            raise AttemptError("the statement is empty: say what the root cause was and what would prevent it")
        entry["statement"] = {"text": text, "at": at}
    return after


def hints_cost(entry: dict[str, Any], points: float) -> float:
    """The points the scenario's bought hints cost (each tier's share of its points, added up)."""
    return round(points * sum(hint["cost_percent"] for hint in entry.get("hints", [])) / 100, 2)
