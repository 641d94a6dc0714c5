"""Ending a workshop: freezing keeps the scores as they stood at that moment (a verification that
ends later is not counted, the learner's buttons are refused), and writes the final table, the
history and each learner's records. The verifications here are stored ones; the real ones are the
workshop's lab test's."""

from __future__ import annotations

import csv
import json
import urllib.error
import urllib.request

import pytest

from cloudmart_lab import settings, workshop, workshop_end, workshop_settings
from cloudmart_lab.errors import LabError
from cloudmart_lab.scoreboard_server import Scoreboard, Verifier, serve
from cloudmart_lab.scoreboard_store import Action, Store, Verification
from cloudmart_lab.workshop_runs import Learner
from cloudmart_lab.workshop_secrets import RoomSecrets
from tests.unit.test_scoreboard_server import view
from tests.unit.test_workshop import LAB, ONE_SERVER


@pytest.fixture
def room(tmp_path, monkeypatch):
    monkeypatch.setenv("CLOUDMART_LAB_STATE", str(tmp_path / "state"))
    return workshop.parse(ONE_SERVER, "workshop.yml", LAB)


def scored(learner: str, points: float, at: str) -> Verification:
    return Verification.scored(learner, view(points, "learner"), view(points, "instructor"), at)


def test_freezing_keeps_the_scores_of_that_moment_and_each_learners_records(room, tmp_path):
    base = tmp_path / "state" / "workshop"
    store = Store(base / workshop_end.HISTORY_NAME)
    store.add(scored("learner01", 10, "2026-12-05T10:00:00Z"))
    store.add(scored("learner02", 25, "2026-12-05T10:01:00Z"))
    store.add(Verification.failed("learner03", "learner03-cp does not answer", "2026-12-05T10:01:30Z"))
    store.add(scored("learner01", 15, "2026-12-05T10:02:00Z"))
    store.close()
    states = {name: tmp_path / "state" / "clusters" / name for name in room.learners}
    states["learner02"].mkdir(parents=True)
    (states["learner02"] / "attempt.json").write_text('{"scenarios": {"networking": {"hints": 1}}}')

    final = workshop_end.freeze(room, states)
    assert workshop_end.frozen_at() == final.at
    assert final.table[2:] == [
        "| rank | learner | points | networking | hints |",
        "|---:|---|---:|---|---:|",
        "| 1 | learner02 | 25 / 25 | basic | 2.5 |",
        "| 2 | learner01 | 15 / 25 | basic | 2.5 |",
        "| 3 | learner03 | - | - | 0 |",
    ]
    assert (final.folder / "scores.md").read_text().splitlines()[2:] == final.table[2:]
    assert json.loads((final.folder / "learner02" / "attempt.json").read_text())["scenarios"]["networking"]["hints"] == 1
    assert json.loads((final.folder / "learner01" / "verify-instructor.json").read_text())["score"] == 15
    assert json.loads((final.folder / "learner01" / "verify-learner.json").read_text())["audience"] == "learner"
    with (final.folder / "history.csv").open() as rows:
        assert [row["score"] for row in csv.DictReader(rows)] == ["10.0", "25.0", "", "15.0"]

    # a verification that ends after the freeze is not the learner's final
    store = Store(base / workshop_end.HISTORY_NAME)
    store.add(scored("learner03", 25, "9999-01-01T00:00:00Z"))
    store.close()
    again = workshop_end.freeze(room, states)
    assert (again.at, again.table) == (final.at, final.table), "freezing again writes the same final"


def test_freezing_without_a_scoreboards_history_is_refused(room):
    with pytest.raises(LabError, match=r"no scoreboard history in .*: run `workshop scoreboard` during the workshop first"):
        workshop_end.freeze(room, {})
    assert workshop_end.frozen_at() is None


def test_a_frozen_scoreboard_verifies_no_more_and_refuses_the_buttons(tmp_path):
    store = Store(tmp_path / "scoreboard.sqlite")
    learners = [Learner("ann", tmp_path / "ann", "inventory/vagrant.yml")]
    frozen: list[str] = []
    ended = lambda: frozen[0] if frozen else None  # noqa: E731

    def act(learner: Learner, kind: str, scenario: str) -> Action:
        raise AssertionError("no hint is run once the workshop has ended")

    board = Scoreboard(learners, store, RoomSecrets.of(["ann"], tmp_path), act, frozen=ended)
    server = serve(board, "127.0.0.1", 0)
    verified: list[str] = []

    def verify(learner: Learner) -> Verification:
        verified.append(learner.name)
        return scored(learner.name, 25, "")

    frozen.append("2026-12-05T11:30:00Z")
    verifier = Verifier(learners, store, verify, interval=0.05, frozen=ended)
    verifier.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/learner/{board.secrets.tokens['ann']}/hint"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(url, data=b"scenario=networking"), timeout=10)
        assert refused.value.code == 409
        assert "the workshop has ended: the scores were frozen at 2026-12-05T11:30:00Z" in refused.value.read().decode()
        verifier.stopping.wait(0.3)
        assert verified == [] and store.latest() == {}
    finally:
        verifier.stop()
        server.shutdown()
        store.close()


def test_down_removes_a_learners_cluster_with_the_labs_own_destroy_and_keeps_their_records(room):
    """A real run of `python -m cloudmart_lab destroy` in one learner's environment, whose Vagrant
    records hold no machine (a cluster never brought up, or already removed)."""
    cluster = room.clusters[0]
    workshop_settings.write(cluster, room, settings.load())
    (cluster.state_folder / "attempt.json").write_text("{}")
    said: list[str] = []
    [removed] = workshop_end.down([cluster], said.append)
    log = (cluster.state_folder / "down.log").read_text()
    assert removed.ok, log
    assert said == ["learner01: removed"]
    assert (cluster.state_folder / "attempt.json").is_file(), "the learner's records stay"
