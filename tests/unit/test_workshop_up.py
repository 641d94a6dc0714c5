"""Bringing up every learner's cluster on one server: the order, the environment each learner's
bring-up sees, and the summary. The bring-up itself is `python -m cloudmart_lab up`, which the lab
tests run for real; here a stand-in records what it was given."""

from __future__ import annotations

import json
import sys

import pytest

from cloudmart_lab import workshop, workshop_up
from cloudmart_lab.errors import LabError
from tests.unit.test_workshop import LAB, ON_HOSTS, ONE_SERVER

# records its environment, its action and when it ran, and fails to bring up learner02; with
# STAND_IN_SIDE_BY_SIDE=n, each bring-up waits (at most 20 s) until n of them have started, so that
# side by side is seen on a busy machine too
STAND_IN = """
import json, os, pathlib, sys, time
began, action = time.time(), sys.argv[1]
me = pathlib.Path(os.environ["CLOUDMART_LAB_STATE"]).name
meeting = pathlib.Path(os.environ["STAND_IN_MEETING"])
expected = int(os.environ.get("STAND_IN_SIDE_BY_SIDE", "0"))
if action == "up":
    (meeting / me).touch()
    deadline = began + 20
    while time.time() < deadline and len(list(meeting.iterdir())) < expected:
        time.sleep(0.05)
else:
    time.sleep(0.3)
print(json.dumps({key: os.environ[key] for key in ("CLOUDMART_LAB_SETTINGS", "CLOUDMART_LAB_STATE", "VAGRANT_DOTFILE_PATH")}
                 | {"action": action, "began": began, "ended": time.time(), "met": len(list(meeting.iterdir()))}))
if action == "prepare" and os.environ.get("STAND_IN_PREPARE_FAILS"):
    sys.exit(4)
sys.exit(3 if me == "learner02" and action == "up" else 0)
"""


@pytest.fixture
def room(tmp_path, monkeypatch) -> workshop.Workshop:
    monkeypatch.setenv("CLOUDMART_LAB_STATE", str(tmp_path))
    (tmp_path / "meeting").mkdir()
    monkeypatch.setenv("STAND_IN_MEETING", str(tmp_path / "meeting"))
    monkeypatch.setattr(workshop_up, "command", lambda action="up": [sys.executable, "-c", STAND_IN, action])
    return workshop.parse(ONE_SERVER | {"learners": ["learner01", "learner02", "learner03", "learner04"]}, "workshop.yml", LAB)


def test_prepared_once_then_every_learner_side_by_side_each_in_their_own_environment(room, tmp_path, monkeypatch):
    monkeypatch.setenv("STAND_IN_SIDE_BY_SIDE", "4")
    said: list[str] = []
    outcomes = workshop_up.bring_up(room, LAB, room.clusters, parallel=4, say=said.append)
    assert [(o.learner, o.code) for o in outcomes] == [("learner01", 0), ("learner02", 3), ("learner03", 0), ("learner04", 0)]
    prepared = json.loads((tmp_path / "clusters" / "learner01" / "prepare.log").read_text())
    assert prepared["action"] == "prepare" and prepared["CLOUDMART_LAB_STATE"] == str(tmp_path / "clusters" / "learner01")
    runs = {o.learner: json.loads(o.log.read_text()) for o in outcomes}
    for learner, run in runs.items():
        folder = tmp_path / "clusters" / learner
        assert run["action"] == "up"
        assert run["CLOUDMART_LAB_STATE"] == str(folder) and run["CLOUDMART_LAB_SETTINGS"] == str(folder / "settings.yml")
        assert run["VAGRANT_DOTFILE_PATH"] == str(folder / ".vagrant")
        assert (folder / "settings.yml").is_file(), "written before the bring-up reads it"
        assert run["began"] >= prepared["ended"], "the bundles and images were made before any bring-up"
        assert run["met"] == 4, "every bring-up ran side by side: each saw all four started"
    assert any("learner02: failed (exit 3)" in line for line in said)


def test_when_preparing_fails_no_cluster_is_brought_up(room, tmp_path, monkeypatch):
    monkeypatch.setenv("STAND_IN_PREPARE_FAILS", "1")
    said: list[str] = []
    outcomes = workshop_up.bring_up(room, LAB, room.clusters, parallel=4, say=said.append)
    log = tmp_path / "clusters" / "learner01" / "prepare.log"
    assert [(o.code, o.log) for o in outcomes] == [(4, log)] * 4
    assert said[-1] == "preparing failed (exit 4): no cluster was brought up"
    assert not any((tmp_path / "clusters" / name / "up.log").exists() for name in room.learners)


def test_the_summary_has_a_line_per_learner_and_names_a_failed_one_s_log(room):
    outcomes = workshop_up.bring_up(room, LAB, room.clusters[:2], parallel=1, say=lambda _: None)
    lines = workshop_up.summary(outcomes)
    assert lines[0].split()[0] == "learner01" and lines[0].endswith("up")
    assert lines[1].split()[0] == "learner02" and lines[1].endswith(f"failed, see {outcomes[1].log}")
    assert lines[-1] == "1 of 2 learners' clusters up"


def test_learners_are_chosen_by_name_in_the_workshop_s_order_and_an_unknown_one_is_refused(room):
    assert [c.learner for c in workshop_up.chosen(room, ["learner03", "learner01"])] == ["learner01", "learner03"]
    assert len(workshop_up.chosen(room, [])) == 4, "none named: every learner"
    with pytest.raises(LabError, match=r"learner9 is not a learner of workshop\.yml; its learners are learner01, learner02"):
        workshop_up.chosen(room, ["learner9"])


def test_at_least_one_at_a_time(room):
    with pytest.raises(LabError, match="--parallel 0: bring up at least one cluster at a time"):
        workshop_up.bring_up(room, LAB, room.clusters, parallel=0, say=lambda _: None)


def test_learners_on_the_room_s_hosts_are_refused_before_anything_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("CLOUDMART_LAB_STATE", str(tmp_path))
    hosts = workshop.parse(ON_HOSTS, "workshop.yml", LAB)
    with pytest.raises(LabError, match=r"workshop\.yml: the learners' nodes are the room's hosts, not containers"):
        workshop_up.chosen(hosts, [])
    assert not (tmp_path / "clusters").exists()
