"""The challenge role as a learner meets it: one scenario presented and broken, its clock running;
a hint bought and recorded with its cost; giving it up repairs it and scores it 0."""

from __future__ import annotations

import json
from typing import Any

from scenario import STATE, kubectl_json, playbook

testinfra_hosts = ["ansible://control_plane"]


def record(name: str) -> dict[str, Any]:
    return json.loads((STATE / name).read_text())


def test_the_networking_scenario_is_presented_alone_with_its_clock_running(host):
    assert list(record("faults.json")) == ["networking"]
    (presented,) = record("challenge.json")["scenarios"]
    assert presented["name"] == "networking" and presented["presented_at"] and not presented.get("outcome")
    found = kubectl_json(host, "get", "endpoints", "product-service", "-n", "backend")
    assert not [a for subset in found.get("subsets") or [] for a in subset.get("addresses") or []]


def test_a_hint_is_bought_then_the_scenario_given_up_is_repaired_and_scores_zero(host):
    hinted = playbook("hint.yml", scenario="networking")
    assert hinted.returncode == 0 and "Hint 1 of 3 for networking" in hinted.stdout, hinted.stdout
    assert [h["tier"] for h in record("attempt.json")["scenarios"]["networking"]["hints"]] == [1]
    gave_up = playbook("giveup.yml", scenario="networking")
    assert gave_up.returncode == 0 and "networking given up" in " ".join(gave_up.stdout.split()), gave_up.stdout
    assert record("faults.json") == {} and record("challenge.json")["finished_at"]
    found = kubectl_json(host, "get", "endpoints", "product-service", "-n", "backend")
    assert [a for subset in found.get("subsets") or [] for a in subset.get("addresses") or []]
