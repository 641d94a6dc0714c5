"""The score: check results weighed by the scenario catalog and the evaluation matrix.

Every scenario and every row of the seed's evaluation matrix ("평가 매트릭스") has checks at three
levels: basic (기본, 60%: the symptoms are gone), root (우수, 80%: every fault fixed at its root)
and prevention (탁월, 100%: what would have stopped or caught it is in place). A level's share of
the points is split evenly between its checks, so a half repair earns part of the points; the
level reached is the highest one whose checks, and those of every level below, all pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from findings import Finding

LEVELS = (("basic", 0.6), ("root", 0.2), ("prevention", 0.2))


@dataclass
class Result:
    check: str
    outcome: str  # passed, failed or blocked
    findings: list[Finding]
    seconds: float = 0.0


@dataclass
class Row:
    """A scenario or a row of the evaluation matrix, scored."""

    name: str
    title: Any  # one text, or one per language
    points: float
    earned: float
    level: str
    failed: list[str]
    blocked: list[str]
    minutes: float | None = None
    time_box: int | None = None
    # the learner's attempt: hint tiers bought, the points they cost, given up (scored 0)
    hints: int = 0
    hint_cost: float = 0.0
    given_up: bool = False
    timed_out: bool = False
    # the learner's root cause and prevention, for the instructor
    statement: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def score_row(name: str, title: Any, points: float, checks: dict[str, list[str]], results: dict[str, Result]) -> Row:
    earned, level, failed, blocked = 0.0, "none", [], []
    climbing = True
    for level_name, weight in LEVELS:
        ids = checks.get(level_name, [])
        outcomes = [results[i].outcome if i in results else "failed" for i in ids]
        passed = sum(outcome == "passed" for outcome in outcomes)
        earned += points * weight * (passed / len(ids) if ids else 1.0)
        failed += [i for i, outcome in zip(ids, outcomes, strict=True) if outcome == "failed"]
        blocked += [i for i, outcome in zip(ids, outcomes, strict=True) if outcome == "blocked"]
        if climbing and passed == len(ids):
            level = level_name
        else:
            climbing = False
    return Row(name, title, points, round(earned, 1), level, failed, blocked)


def minutes_since(broken_at: str, now: datetime) -> float:
    return round((now - parsed(broken_at)).total_seconds() / 60, 1)


def parsed(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def charge(row: Row, entry: dict[str, Any]) -> None:
    """What the learner's attempt takes from a scenario's points: every point when given up; each
    hint tier bought, its share of the points."""
    row.hints = len(entry.get("hints", []))
    row.hint_cost = round(row.points * sum(hint["cost_percent"] for hint in entry.get("hints", [])) / 100, 2)
    row.given_up = bool(entry.get("given_up_at"))
    # a challenge's box that ended with the scenario repaired for the learner scores like giving up
    row.timed_out = bool(entry.get("timed_out_at")) and not row.given_up
    row.statement = (entry.get("statement") or {}).get("text")
    row.earned = 0.0 if row.given_up or row.timed_out else round(max(row.earned - row.hint_cost, 0.0), 1)


def score(
    catalog: list[dict[str, Any]],
    matrix: list[dict[str, Any]],
    results: dict[str, Result],
    broken: dict[str, Any],
    now: datetime | None = None,
    attempt: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Scenarios (their points, less what the learner's hints and give-ups cost, add up to the
    score) and the matrix's rows (each a level and a share)."""
    now = now or datetime.now(UTC)
    entries = (attempt or {}).get("scenarios", {})
    scenarios = []
    for scenario in catalog:
        row = score_row(scenario["name"], scenario["title"], scenario["points"], scenario["checks"], results)
        row.time_box = scenario["time_box_minutes"]
        entry = entries.get(scenario["name"], {})
        if scenario["name"] in broken:
            # the clock stops when verify first saw the scenario repaired
            until = parsed(entry["repaired_at"]) if entry.get("repaired_at") else now
            row.minutes = minutes_since(broken[scenario["name"]]["broken_at"], until)
        charge(row, entry)
        scenarios.append(row)
    rows = []
    for area in matrix:
        if area.get("from_scenarios"):
            earned = sum(s.earned for s in scenarios)
            points = sum(s.points for s in scenarios)
            reached = [s.level for s in scenarios]
            level = min(reached, key=["none", *[name for name, _ in LEVELS]].index)
            failed = [c for s in scenarios for c in s.failed]
            blocked = [c for s in scenarios for c in s.blocked]
            rows.append(Row(area["name"], area["title"], 100, round(100 * earned / points, 1), level, failed, blocked))
        else:
            rows.append(score_row(area["name"], area["title"], 100, area["checks"], results))
    total = round(sum(s.earned for s in scenarios), 1)
    return {
        "score": total,
        "out_of": sum(s.points for s in scenarios),
        "scenarios": [s.as_dict() for s in scenarios],
        "matrix": [r.as_dict() for r in rows],
    }


def criteria(groups: list[dict[str, Any]], results: dict[str, Result]) -> list[dict[str, Any]]:
    """Each success criterion, met when every one of its checks passed (blocked is not met)."""
    found = []
    for group in groups:
        for criterion in group["criteria"]:
            outcomes = {check: results[check].outcome if check in results else "failed" for check in criterion["checks"]}
            found.append(
                {
                    "group": group["name"],
                    "group_title": group["title"],
                    "name": criterion["name"],
                    "title": criterion["title"],
                    "met": all(outcome == "passed" for outcome in outcomes.values()),
                    "failed": [check for check, outcome in outcomes.items() if outcome == "failed"],
                    "blocked": [check for check, outcome in outcomes.items() if outcome == "blocked"],
                }
            )
    return found


def fold(results: dict[str, Result], causes: dict[str, list[str]]) -> dict[str, list[str]]:
    """The failed causes, each with the failed checks it explains (which the report folds beneath
    it). A check explained by a cause that is itself explained goes to the first cause up the
    chain; a cause that did not fail explains nothing."""
    failed = {check for check, result in results.items() if result.outcome == "failed"}
    explained_by: dict[str, str] = {}
    for cause, explained in causes.items():
        if cause not in failed:
            continue
        for check in explained:
            if check in failed and check != cause and check not in explained_by:
                explained_by[check] = cause

    def root(check: str) -> str:
        seen = set()
        while check in explained_by and check not in seen:
            seen.add(check)
            check = explained_by[check]
        return check

    folded: dict[str, list[str]] = {}
    for check in explained_by:
        top = root(check)
        if top != check:
            folded.setdefault(top, []).append(check)
    return folded
