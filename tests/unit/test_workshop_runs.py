"""`workshop run`: a playbook for every learner of the room or those named, side by side, each
learner's break with their own seed, each one's output in their own folder, one learner's failure
told in one line without holding the others up. The runs of a real room are the workshop's lab test's."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

import pytest

from cloudmart_lab import workshop, workshop_runs
from cloudmart_lab.errors import LabError
from cloudmart_lab.runner import PlaybookRun
from cloudmart_lab.workshop_runs import Learner, extra_vars, room_summary, run_for_room, selected
from tests.unit.test_workshop import LAB, ONE_SERVER

SEEDS = {"ann": "a1a1a1a1", "ben": "b2b2b2b2", "cat": "c3c3c3c3"}


def learners(tmp_path: Path, inventory: str = "inventory/vagrant.yml") -> list[Learner]:
    return [Learner(name, tmp_path / name, inventory, limit=f"cluster_{name}") for name in SEEDS]


def test_selected_keeps_the_rooms_order_and_refuses_a_stranger(tmp_path):
    room = workshop.parse(ONE_SERVER | {"learners": list(SEEDS)}, "room.yml", LAB)
    everyone = learners(tmp_path)
    assert [learner.name for learner in selected(room, everyone, [])] == ["ann", "ben", "cat"]
    assert [learner.name for learner in selected(room, everyone, ["cat", "ann"])] == ["ann", "cat"]
    with pytest.raises(LabError, match=r"^dan is not a learner of room\.yml; its learners are ann, ben, cat$"):
        selected(room, everyone, ["ann", "dan"])


def test_extra_vars_reads_json_values_and_refuses_a_pair_without_a_key():
    pairs = ["lab_box_end=leave", 'lab_time_boxes={"networking": 10}', "scenarios=storage,networking", "n=3", "flag=true"]
    pairs.append("empty=")
    assert extra_vars(pairs) == {
        "lab_box_end": "leave",
        "lab_time_boxes": {"networking": 10},
        "scenarios": "storage,networking",
        "flag": True,
        "n": 3,
        "empty": "",
    }
    assert extra_vars(["note=-not json"]) == {"note": "-not json"}
    for bad in ("novalue", "=3", "two words=1"):
        with pytest.raises(LabError, match=f"^-e {bad}: give extra variables as KEY=VALUE$"):
            extra_vars([bad])


def test_an_unknown_playbook_or_no_parallelism_is_refused_before_anything_runs(tmp_path):
    for playbook, parallel, said in (("destroy.yml", 3, "not one of the lab's playbooks"), ("verify.yml", 0, "at least one")):
        with pytest.raises(LabError, match=said):
            run_for_room(learners(tmp_path), playbook, {}, SEEDS, parallel, print)
    assert not any((tmp_path / name).exists() for name in SEEDS), "nothing was started"


def test_each_learner_breaks_with_their_own_seed_and_a_failure_holds_nobody_up(tmp_path, monkeypatch):
    """The playbook runs are stood in for here, to see what each learner's run is given."""
    given: dict[str, dict[str, Any]] = {}

    def play(learner: Learner, playbook: str, extravars: dict[str, Any], log: TextIO) -> PlaybookRun:
        given[learner.name] = extravars
        log.write(f"{playbook} for {learner.name}\n")
        if learner.name == "ben":
            failure = "ben-cp: Check the cluster: ben's API server does not answer: connection refused"
            return PlaybookRun(playbook, "failed", 2, 4.0, failures=[failure])
        return PlaybookRun(playbook, "successful", 0, 61.0)

    monkeypatch.setattr(workshop_runs, "play", play)
    said: list[str] = []
    outcomes = run_for_room(learners(tmp_path), "challenge.yml", {"lab_box_end": "leave"}, SEEDS, 2, said.append)

    assert {name: extravars["lab_seed"] for name, extravars in given.items()} == SEEDS
    assert all(extravars["lab_box_end"] == "leave" for extravars in given.values())
    assert [outcome.learner for outcome in outcomes] == ["ann", "ben", "cat"]
    assert (tmp_path / "cat" / "challenge.log").read_text() == "challenge.yml for cat\n"
    assert sorted(said) == [
        "ann: challenge.yml done in 1m01s",
        "ben: challenge.yml failed: ben's API server does not answer: connection refused in 4s",
        "cat: challenge.yml done in 1m01s",
    ]
    summary = room_summary(outcomes)
    assert summary[-1] == "2 of 3 learners done"
    assert "ben's API server does not answer" in summary[1] and str(tmp_path / "ben" / "challenge.log") in summary[1]

    run_for_room(learners(tmp_path), "verify.yml", {}, SEEDS, 3, said.append)
    assert not any("lab_seed" in extravars for extravars in given.values()), "only the playbooks that break take a seed"


def test_a_learner_whose_nodes_cannot_be_reached_is_told_so_in_one_line(tmp_path):
    """Real runs of the lab's site and verify for a learner whose node refuses connections (nothing
    listens on that loopback port): each fails with the reason in one line, its output kept in the
    learner's folder (verify's report says which checks the node blocked)."""
    inventory = tmp_path / "room.yml"
    inventory.write_text(
        "all:\n  children:\n    control_plane:\n      hosts:\n"
        "        ann-cp: {ansible_host: 127.0.0.1, ansible_port: 9, ansible_user: root}\n"
        "    cluster_ann:\n      vars: {lab_cluster: ann, lab_kubeconfig: '{{ inventory_dir }}/ann/kubeconfig'}\n"
        "      hosts: {ann-cp: }\n"
    )
    room = [Learner("ann", tmp_path / "ann", str(inventory), limit="cluster_ann")]
    for playbook, said in (
        ("site.yml", "connect to host 127.0.0.1 port 9: Connection refused"),
        ("verify.yml", "ann scores 0 of 100: not fully repaired: control-plane, networking, storage, deployment"),
    ):
        [outcome] = run_for_room(room, playbook, {}, SEEDS, 1, lambda line: None)
        assert not outcome.ok
        [line, count] = room_summary([outcome])
        assert line.startswith("  ann ") and "failed: " in line and "\n" not in line and said in line, line
        assert count == "0 of 1 learners done"
        assert outcome.log == tmp_path / "ann" / playbook.replace(".yml", ".log") and "ann-cp" in outcome.log.read_text()
