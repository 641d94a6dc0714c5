"""A learner's attempt record (plugins/module_utils/attempt.py) and what it does to the score."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import pytest
import yaml

from cloudmart_lab.paths import REPO

sys.path.insert(0, str(REPO / ".ansible" / "collections"))
sys.path.insert(0, str(REPO / "roles" / "verify" / "files" / "checks"))

from ansible_collections.cloudmart.lab.plugins.module_utils import attempt, scenario_catalog
from scoring import Result, score

CATALOG = scenario_catalog.load()
EVERY_CHECK = {c for s in CATALOG for level in s["checks"].values() for c in level}


def test_a_tier_bought_twice_is_charged_once_and_a_new_break_starts_afresh():
    record = attempt.apply({"scenarios": {}}, "started", "networking", "2026-12-05T10:00:00Z")
    record = attempt.apply(record, "hint", "networking", "2026-12-05T10:05:00Z", tier=1, cost_percent=0)
    record = attempt.apply(record, "hint", "networking", "2026-12-05T10:09:00Z", tier=2, cost_percent=10)
    again = attempt.apply(record, "hint", "networking", "2026-12-05T10:12:00Z", tier=2, cost_percent=10)
    assert again == record, "a tier bought before is free"
    assert [h["at"] for h in record["scenarios"]["networking"]["hints"]] == ["2026-12-05T10:05:00Z", "2026-12-05T10:09:00Z"]
    assert attempt.hints_cost(record["scenarios"]["networking"], 25) == 2.5
    assert attempt.apply(record, "started", "networking", "2026-12-05T11:00:00Z")["scenarios"]["networking"]["hints"] == []


def test_given_up_and_repaired_keep_their_first_moment_and_cleared_forgets():
    record = attempt.apply({"scenarios": {}}, "given_up", "storage", "2026-12-05T10:00:00Z")
    assert attempt.apply(record, "given_up", "storage", "2026-12-05T10:30:00Z") == record
    record = attempt.apply(record, "repaired", "networking", "2026-12-05T10:40:00Z")
    assert attempt.apply(record, "cleared", "storage", "x")["scenarios"].keys() == {"networking"}
    assert attempt.apply(record, "cleared", None, "x") == {"scenarios": {}}


@pytest.mark.parametrize(
    ("action", "scenario", "details", "error"),
    [
        ("bought", "x", {}, "unknown action bought"),
        ("hint", None, {"tier": 1}, "the action hint needs a scenario"),
        ("statement", "x", {"statement": "  "}, "the statement is empty"),
    ],
)
def test_a_request_the_record_cannot_take_is_refused_in_one_line(action, scenario, details, error):
    with pytest.raises(attempt.AttemptError, match=error):
        attempt.apply({"scenarios": {}}, action, scenario, "2026-12-05T10:00:00Z", **details)


def test_a_record_that_is_not_one_is_named(tmp_path):
    path = tmp_path / "attempt.json"
    assert attempt.load(path) == {"scenarios": {}}
    path.write_text("[1, 2]")
    with pytest.raises(attempt.AttemptError, match="is not the lab's attempt record"):
        attempt.load(path)


def test_hints_lower_a_scenarios_points_giving_up_scores_it_zero_and_a_repair_stops_its_clock():
    results = {check: Result(check, "passed", []) for check in EVERY_CHECK}
    broken = {name: {"broken_at": "2026-12-05T10:00:00Z"} for name in ("networking", "storage")}
    entries = {
        "networking": {
            "hints": [{"tier": 1, "cost_percent": 0}, {"tier": 2, "cost_percent": 10}, {"tier": 3, "cost_percent": 25}]
        },
        "storage": {"hints": [], "repaired_at": "2026-12-05T10:12:00Z"},
        "deployment": {"hints": [{"tier": 1, "cost_percent": 0}], "given_up_at": "2026-12-05T10:20:00Z"},
    }
    now = datetime(2026, 12, 5, 10, 30, tzinfo=UTC)
    scored = score(CATALOG, [], results, broken, now=now, attempt={"scenarios": entries})
    rows = {row["name"]: row for row in scored["scenarios"]}
    assert (rows["networking"]["earned"], rows["networking"]["hints"], rows["networking"]["hint_cost"]) == (16.2, 3, 8.75)
    assert (rows["deployment"]["earned"], rows["deployment"]["given_up"]) == (0, True)
    assert rows["storage"]["minutes"] == 12.0 and rows["networking"]["minutes"] == 30.0
    assert scored["score"] == 25 + 16.2 + 25 + 0


def test_every_word_the_roles_tell_a_learner_is_written_in_every_language():
    words = {
        **yaml.safe_load((REPO / "roles/challenge/vars/main.yml").read_text())["challenge_words"],
        **yaml.safe_load((REPO / "roles/verify/vars/main.yml").read_text())["verify_words"],
    }
    for key, said in words.items():
        assert sorted(said) == sorted(scenario_catalog.LANGUAGES) and all(said.values()), key
