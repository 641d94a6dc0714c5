"""break → verify → solve → verify for the control-plane scenario, with the project's own playbooks.

The scenario runs no CloudMart, so no Prometheus: the scenario's prevention check (an alert rule
for a silent API server) has nothing to ask and verify reports it blocked; every other check of
the scenario must pass.
"""

from __future__ import annotations

import json

from scenario import STATE, playbook

from cloudmart_lab.waiting import eventually

testinfra_hosts = ["ansible://control_plane"]
REPORT = STATE / "reports" / "verify.json"
SCENARIO = "control-plane"


def control_plane_row() -> dict:
    report = json.loads(REPORT.read_text())
    assert [row["name"] for row in report["scenarios"]] == ["control-plane"]
    assert report["out_of"] == 25
    return report["scenarios"][0]


def api_listening(host) -> bool:
    return host.socket("tcp://6443").is_listening


def test_break_verify_solve_verify(host):
    # broken: nothing serves the API on its port, and verify finds why on the node
    assert not api_listening(host)
    # the instructor's view names the checks (a learner's names none)
    found = playbook("verify.yml", scenarios=SCENARIO, verify_audience="instructor")
    assert found.returncode != 0, found.stdout[-2000:]
    broken = control_plane_row()
    assert {"api-server-answers", "apiserver-etcd-servers", "apiserver-secure-port"} <= set(broken["failed"])
    assert "nodes-ready" in broken["blocked"]  # the API cannot say: blocked, not failed
    assert broken["earned"] < 25 * 0.6

    solved = playbook("solve.yml", scenarios=SCENARIO)
    assert solved.returncode == 0, solved.stdout[-2000:]
    eventually(lambda: api_listening(host), timeout=180, what="the API server listening again")

    playbook("verify.yml", scenarios=SCENARIO, verify_audience="instructor")
    repaired = control_plane_row()
    assert (repaired["failed"], repaired["blocked"]) == ([], ["api-server-down-alert"])
    assert (repaired["level"], repaired["earned"]) == ("root", 20.0)
    assert json.loads((STATE / "faults.json").read_text()) == {}
