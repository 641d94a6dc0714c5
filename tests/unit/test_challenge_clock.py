"""The challenge's clock (plugins/module_utils/challenge.py): one scenario at a time, each ended when
repaired, given up or out of time (at its box's end, however late that is noticed), pauses moving
the box's end."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import pytest

from cloudmart_lab.paths import REPO

sys.path.insert(0, str(REPO / ".ansible" / "collections"))

from ansible.errors import AnsibleFilterError
from ansible_collections.cloudmart.lab.plugins.filter.faults import time_boxes
from ansible_collections.cloudmart.lab.plugins.module_utils import challenge, scenario_catalog

T0 = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def started() -> challenge.Record:
    record = challenge.start([("control-plane", 25), ("networking", 25), ("storage", 20)], "solve", T0)
    return challenge.presented(record, challenge.due(record) or "", at(1))


def test_the_first_scenario_is_due_then_current_with_its_box():
    record = challenge.start([("control-plane", 25), ("networking", 25)], "solve", T0)
    assert challenge.due(record) == "control-plane" and challenge.current(record) is None
    record = challenge.presented(record, "control-plane", at(1))
    assert challenge.current(record)["deadline"] == challenge.moment(at(26)) and challenge.due(record) is None
    assert challenge.remaining_minutes(record, at(6)) == 20.0


def test_a_repair_ends_the_scenario_now_and_the_next_is_due():
    record, ended = challenge.advance(started(), at(13), repaired={"control-plane"}, given_up={})
    assert ended == [{"name": "control-plane", "outcome": "repaired", "at": challenge.moment(at(13))}]
    assert record["scenarios"][0]["minutes"] == 12.0 and challenge.due(record) == "networking"


def test_a_box_noticed_late_ends_at_the_box_end_and_a_repair_after_it_does_not_count():
    record, ended = challenge.advance(started(), at(40), repaired={"control-plane"}, given_up={})
    assert ended == [{"name": "control-plane", "outcome": "timed-out", "at": challenge.moment(at(26))}]
    assert record["scenarios"][0]["minutes"] == 25.0


def test_a_give_up_ends_the_scenario_at_its_moment():
    gave_up = {"control-plane": challenge.moment(at(5))}
    _, ended = challenge.advance(started(), at(9), repaired=set(), given_up=gave_up)
    assert ended[0]["outcome"] == "given-up" and ended[0]["at"] == challenge.moment(at(5))


def test_nothing_ends_while_paused_and_a_pause_moves_the_box_end():
    record = challenge.pause(started(), at(11))
    record, ended = challenge.advance(record, at(60), repaired=set(), given_up={})
    assert ended == [] and challenge.remaining_minutes(record, at(60)) == 15.0
    record = challenge.resume(record, at(61))
    assert (
        challenge.current(record)["deadline"] == challenge.moment(at(76)) and challenge.current(record)["paused_seconds"] == 3000
    )
    record, ended = challenge.advance(record, at(70), repaired={"control-plane"}, given_up={})
    assert ended[0]["outcome"] == "repaired" and record["scenarios"][0]["minutes"] == 19.0


def test_the_challenge_finishes_at_its_last_scenarios_end():
    record = challenge.start([("storage", 20)], "leave", T0)
    record = challenge.presented(record, "storage", T0)
    record, _ = challenge.advance(record, at(90), repaired=set(), given_up={})
    assert record["finished_at"] == challenge.moment(at(20)) and not challenge.running(record)
    with pytest.raises(challenge.ChallengeError, match="the challenge has finished"):
        challenge.pause(record, at(91))


@pytest.mark.parametrize(
    ("boxes", "box_end", "error"),
    [
        ([], "solve", "at least one scenario"),
        ([("x", 0)], "solve", "more than 0 minutes"),
        ([("x", 5)], "skip", "one of solve, leave"),
    ],
)
def test_a_challenge_that_cannot_run_is_refused_in_one_line(boxes, box_end, error):
    with pytest.raises(challenge.ChallengeError, match=error):
        challenge.start(boxes, box_end, T0)


def test_time_boxes_are_the_catalogs_unless_overridden_and_an_unknown_override_is_named():
    catalog = scenario_catalog.load()
    assert [b["minutes"] for b in time_boxes(catalog)] == [25, 25, 20, 20], "the seed's 90 minutes"
    assert time_boxes(catalog[:2], {"networking": 0.5})[1] == {"name": "networking", "minutes": 0.5}
    with pytest.raises(AnsibleFilterError, match="lab_time_boxes names storage, which the challenge does not present"):
        time_boxes(catalog[:2], {"storage": 3})
