"""break → verify → solve → verify for the control-plane scenario, with the project's own playbooks.

The scenario runs no CloudMart, so no Prometheus: the scenario's prevention check (an alert rule
for a silent API server) has nothing to ask and verify reports it blocked; every other check of
the scenario must pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from scenario import INVENTORY, STATE, eventually

testinfra_hosts = ["ansible://control_plane"]
PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
REPORT = STATE / "reports" / "verify.json"


def playbook(name: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", INVENTORY, name, "-e", "scenarios=control-plane"]
    return subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, check=False, timeout=900)


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
    found = playbook("verify.yml")
    assert found.returncode != 0, found.stdout[-2000:]
    broken = control_plane_row()
    assert {"api-server-answers", "apiserver-etcd-servers", "apiserver-secure-port"} <= set(broken["failed"])
    assert "nodes-ready" in broken["blocked"]  # the API cannot say: blocked, not failed
    assert broken["earned"] < 25 * 0.6

    solved = playbook("solve.yml")
    assert solved.returncode == 0, solved.stdout[-2000:]
    eventually(lambda: api_listening(host), timeout=180, what="the API server listening again")

    playbook("verify.yml")
    repaired = control_plane_row()
    assert (repaired["failed"], repaired["blocked"]) == ([], ["api-server-down-alert"])
    assert (repaired["level"], repaired["earned"]) == ("root", 20.0)
    assert json.loads((STATE / "faults.json").read_text()) == {}
