"""The users' playbooks against a cluster that cannot be reached (no lab needed): one clear
message, a non-zero exit, no traceback, nothing written where the lab keeps its state."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from cloudmart_lab.paths import REPO


@pytest.fixture
def unreachable(tmp_path: Path) -> Path:
    """An inventory of nodes that do not exist (TEST-NET-1) and a kubeconfig of a closed port."""
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "gone", "cluster": {"server": "https://127.0.0.1:1", "insecure-skip-tls-verify": True}}],
        "users": [{"name": "gone", "user": {"token": "not-a-token"}}],
        "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "gone"}}],
        "current-context": "gone",
    }
    (tmp_path / "kubeconfig").write_text(yaml.safe_dump(kubeconfig))
    inventory = {
        "all": {
            "vars": {"ansible_user": "root", "lab_kubeconfig": str(tmp_path / "kubeconfig")},
            "children": {
                "control_plane": {"hosts": {"gone-cp": {"ansible_host": "192.0.2.10"}}},
                "workers": {"hosts": {"gone-w1": {"ansible_host": "192.0.2.11"}}},
            },
        }
    }
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    return tmp_path


def playbook(inventory: Path, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ansible-playbook", "-i", str(inventory), name, *extra], cwd=REPO, capture_output=True, text=True, timeout=300
    )


def test_break_refuses_a_cluster_it_cannot_reach_and_records_nothing(unreachable: Path):
    done = playbook(unreachable / "inventory.yml", "break.yml")
    assert done.returncode != 0 and "Traceback" not in done.stdout + done.stderr
    assert "not healthy before the break" in done.stdout and "does not answer" in done.stdout, done.stdout
    assert not (unreachable / "faults.json").exists()


def test_verify_reports_every_check_blocked_or_failed_and_scores_zero(unreachable: Path):
    instructor = unreachable / "instructor"
    done = playbook(unreachable / "inventory.yml", "verify.yml", "-e", f"verify_instructor_dir={instructor}")
    assert done.returncode != 0 and "Traceback" not in done.stdout + done.stderr
    assert "scores 0 of 100" in done.stdout, done.stdout
    report = json.loads((instructor / "verify.json").read_text())
    outcomes = {check["check"]: check for check in report["checks"]}
    assert outcomes["services-have-endpoints"]["outcome"] == "blocked"
    assert "does not answer" in outcomes["services-have-endpoints"]["findings"][0]["diagnosis"]
    assert "node gone-cp does not answer over SSH" in " ".join(f["diagnosis"] for f in outcomes["node-services"]["findings"])
    assert outcomes["apiserver-secure-port"]["outcome"] == "blocked"
    # the learner is told the same, in symptoms, with no check named
    learner = (unreachable / "reports" / "verify.txt").read_text()
    assert "BLOCKED" in learner and "does not answer" in learner and "node gone-cp does not answer over SSH" in learner
    assert "services-have-endpoints" not in learner and "node-services" not in done.stdout
    assert (unreachable / "reports" / "verify.xml").exists() and (unreachable / "reports" / "verify.md").exists()


def test_verify_names_the_inventory_that_has_no_control_plane(tmp_path: Path):
    absent = tmp_path / "absent.yml"
    done = playbook(absent, "verify.yml")
    assert done.returncode != 0 and "Traceback" not in done.stdout + done.stderr
    assert f"No control-plane host in the inventory ({absent})" in done.stdout, done.stdout


@pytest.mark.parametrize(
    ("playbook_name", "extra", "said"),
    [
        ("hint.yml", [], "Name the scenario: -e scenario=<control-plane|networking|storage|deployment>."),
        ("hint.yml", ["-e", "scenario=dns"], "unknown scenario dns: choose from control-plane, networking, storage, deployment."),
        ("hint.yml", ["-e", "scenario=storage"], "storage is not broken in this lab: there is nothing to give a hint for"),
        ("giveup.yml", ["-e", "scenario=storage"], "storage is not broken in this lab: there is nothing to give up"),
        (
            "hint.yml",
            ["-e", "scenario=storage", "-e", "lab_language=ko"],
            "이 실습 환경에서 storage은(는) 고장난 상태가 아닙니다.",
        ),
        ("statement.yml", ["-e", "scenario=storage"], "storage is not broken in this lab"),
    ],
)
def test_a_learners_request_that_cannot_be_served_gets_one_line_and_charges_nothing(
    unreachable: Path, playbook_name: str, extra: list[str], said: str
):
    done = playbook(unreachable / "inventory.yml", playbook_name, *extra)
    assert done.returncode != 0 and "Traceback" not in done.stdout + done.stderr
    assert said in " ".join(done.stdout.split()), done.stdout
    assert not (unreachable / "attempt.json").exists(), "nothing recorded, nothing charged"
