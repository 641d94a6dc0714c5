# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""The challenge's clock: the seed's exercise as one run of scenarios presented one at a time,
each with its time box. Kept on the controller beside the cluster's kubeconfig (challenge.json)
and advanced lazily: whenever a learner verifies, asks a hint, gives up or asks the status, the
current scenario ends if it is repaired or given up (at that moment) or its box is over (at the
box's end, however late the call comes), and the next one is due. Pauses push the box's end back.
The challenge_clock module writes it; the challenge role breaks and repairs what it says."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ansible_collections.cloudmart.lab.plugins.module_utils import record_file

Record = dict[str, Any]
BOX_ENDS = ("solve", "leave")
OUTCOMES = ("repaired", "given-up", "timed-out")


class ChallengeError(ValueError):
    """A request the challenge cannot take; the message is one line for a person."""


def moment(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parsed(at: str) -> datetime:
    return datetime.fromisoformat(at.replace("Z", "+00:00"))


def load(path: Path) -> Record | None:
    """The challenge record, or None when no challenge was ever started here."""
    try:
        record = record_file.read(path, "a challenge record")
    except record_file.RecordError as err:
        raise ChallengeError(str(err)) from err
    if record is not None and (not isinstance(record, dict) or not isinstance(record.get("scenarios"), list)):
        raise ChallengeError(f"{path} is not a challenge record; remove it to start afresh")
    return record


def dump(record: Record) -> str:
    return record_file.dump(record)


def running(record: Record | None) -> bool:
    return bool(record) and not record.get("finished_at")  # type: ignore[union-attr]


def current(record: Record) -> dict[str, Any] | None:
    """The scenario presented and not ended, or None."""
    return next((s for s in record["scenarios"] if s.get("presented_at") and not s.get("outcome")), None)


def start(boxes: list[tuple[str, float]], box_end: str, now: datetime) -> Record:
    """A new challenge of these scenarios (name, time box in minutes), in this order."""
    if box_end not in BOX_ENDS:
        raise ChallengeError(f"what happens at a box's end is one of {', '.join(BOX_ENDS)} (given: {box_end})")
    if not boxes:
        raise ChallengeError("a challenge needs at least one scenario")
    for name, minutes in boxes:
        if minutes <= 0:
            raise ChallengeError(f"the time box of {name} must be more than 0 minutes (given: {minutes})")
    return {
        "started_at": moment(now),
        "box_end": box_end,
        "paused_at": None,
        "finished_at": None,
        "scenarios": [{"name": name, "box_minutes": minutes} for name, minutes in boxes],
    }


def presented(record: Record, name: str, now: datetime) -> Record:
    """The scenario is broken and shown to the learner: its clock starts now."""
    after = copy.deepcopy(record)
    entry = next((s for s in after["scenarios"] if s["name"] == name), None)
    if entry is None:
        raise ChallengeError(f"{name} is not a scenario of this challenge")
    if not entry.get("presented_at"):
        entry["presented_at"] = moment(now)
        entry["paused_seconds"] = 0
        entry["deadline"] = moment(now + timedelta(minutes=entry["box_minutes"]))
    return after


def due(record: Record) -> str | None:
    """The next scenario to present: the first never presented, once none is current."""
    if record.get("finished_at") or current(record):
        return None
    return next((s["name"] for s in record["scenarios"] if not s.get("presented_at")), None)


def advance(record: Record, now: datetime, repaired: set[str], given_up: dict[str, str]) -> tuple[Record, list[dict[str, Any]]]:
    """The record once the current scenario's end is taken into account: given up (at the moment
    recorded), out of time (at its box's end) or repaired (at full points now, within the box: a
    repair first seen after the box's end is too late). Returns the record and
    what ended. Nothing ends while the challenge is paused; a challenge whose scenarios have all
    ended is finished at the last one's end."""
    after = copy.deepcopy(record)
    ended: list[dict[str, Any]] = []
    entry = current(after)
    if entry is not None and not after.get("paused_at"):
        name, deadline = entry["name"], parsed(entry["deadline"])
        # what happened within the box counts; a repair first seen after it does not
        if name in given_up and parsed(given_up[name]) <= deadline:
            entry.update(outcome="given-up", ended_at=min(given_up[name], moment(now)))
        elif now >= deadline:
            entry.update(outcome="timed-out", ended_at=entry["deadline"])
        elif name in repaired:
            entry.update(outcome="repaired", ended_at=moment(now))
        if entry.get("outcome"):
            spent = parsed(entry["ended_at"]) - parsed(entry["presented_at"])
            entry["minutes"] = round(max(spent.total_seconds() - entry["paused_seconds"], 0) / 60, 1)
            ended.append({"name": name, "outcome": entry["outcome"], "at": entry["ended_at"]})
    if not after.get("finished_at") and all(s.get("outcome") for s in after["scenarios"]):
        after["finished_at"] = max(s["ended_at"] for s in after["scenarios"])
    return after, ended


def pause(record: Record, now: datetime) -> Record:
    if record.get("finished_at"):
        raise ChallengeError("the challenge has finished: there is nothing to pause")
    after = copy.deepcopy(record)
    after["paused_at"] = after.get("paused_at") or moment(now)
    return after


def resume(record: Record, now: datetime) -> Record:
    """Back from a pause: the current scenario's box ends as much later as the pause lasted."""
    after = copy.deepcopy(record)
    if not after.get("paused_at"):
        return after
    paused = now - parsed(after["paused_at"])
    entry = current(after)
    if entry is not None:
        entry["paused_seconds"] = entry.get("paused_seconds", 0) + round(paused.total_seconds())
        entry["deadline"] = moment(parsed(entry["deadline"]) + paused)
    after["paused_at"] = None
    return after


def remaining_minutes(record: Record, now: datetime) -> float | None:
    """Minutes left in the current scenario's box (frozen while paused)."""
    entry = current(record)
    if entry is None:
        return None
    until = parsed(record["paused_at"]) if record.get("paused_at") else now
    return round(max((parsed(entry["deadline"]) - until).total_seconds(), 0) / 60, 1)
