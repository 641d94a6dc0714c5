"""The lab's screen output (plugins/callback/lab_output.py), run by ansible-playbook and by
ansible-runner on a playbook of localhost: the plays a learner watches print what is said to the
learner and nothing that names a task; other plays print as Ansible's default, with times."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cloudmart_lab.paths import REPO
from cloudmart_lab.runner import LAB_OUTPUT, run_playbook

ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
# what a task name or an included file would give away in a learner's play
TELLING = [
    "Set the Services' target ports",
    "service_target_port",
    "Wait for the rollout of order-service",
    "TASK [",
    "included:",
]


def tasks(name: str) -> list[dict[str, object]]:
    return [
        {"name": "Set the Services' target ports", "ansible.builtin.set_fact": {"ports": [8081]}},
        {"name": "Break each kind of fault", "ansible.builtin.include_tasks": "kinds/service_target_port.yml"},
        {
            "name": "Wait for the rollout of order-service",
            "ansible.builtin.command": "sleep 0.3",
            "changed_when": False,
            "loop": [1, 2],
        },
        {"name": "Tell the learner", "ansible.builtin.debug": {"msg": [f"{name} broken at noon", "time box 25 minutes"]}},
        {"name": "Refuse what cannot be done", "ansible.builtin.fail": {"msg": "unknown scenario bogus: choose from a, b."}},
    ]


@pytest.fixture
def playbook(tmp_path: Path) -> Path:
    (tmp_path / "kinds").mkdir()
    (tmp_path / "kinds" / "service_target_port.yml").write_text(
        yaml.safe_dump([{"name": "Patch the target port", "ansible.builtin.set_fact": {"patched": True}}])
    )
    learners = {"lab_learner_output": True}
    plays = [
        {"name": "Repair the lab", "hosts": "localhost", "gather_facts": False, "tasks": tasks("storage")[:-1]},
        {"name": "Break the lab", "hosts": "localhost", "gather_facts": False, "vars": learners, "tasks": tasks("networking")},
    ]
    path = tmp_path / "play.yml"
    path.write_text(yaml.safe_dump(plays, sort_keys=False))
    (tmp_path / "hosts.ini").write_text("localhost ansible_connection=local ansible_python_interpreter=" + sys.executable + "\n")
    return path


def ansible_playbook(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    command = [str(ANSIBLE_PLAYBOOK), "-i", str(path.parent / "hosts.ini"), str(path), *extra]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=120)


def learners_part(output: str) -> str:
    return output.split("PLAY [Break the lab]")[1].split("PLAY RECAP")[0]


def others_part(output: str) -> str:
    return output.split("PLAY [Break the lab]")[0]


def test_a_learners_play_prints_what_is_said_and_no_task_names(playbook: Path) -> None:
    done = ansible_playbook(playbook)
    output = done.stdout + done.stderr
    learner = learners_part(output)
    assert "networking broken at noon\ntime box 25 minutes" in learner, output
    assert "FAILED: unknown scenario bogus: choose from a, b." in learner, output
    assert [word for word in TELLING if word in learner] == [], learner
    assert "Traceback" not in output
    assert "PLAY RECAP" in output and done.returncode == 2, "the failure fails the run"


def test_the_run_summary_keeps_a_learners_task_names_out(playbook: Path) -> None:
    output = ansible_playbook(playbook).stdout
    summary = output.split("SLOWEST TASKS")[1]
    assert "Wait for the rollout of order-service" in summary, "the other play's slow task is timed"
    assert summary.count("Wait for the rollout of order-service") == 1, "the learner's play's is not"


def test_any_other_play_prints_as_ansibles_default_with_times(playbook: Path) -> None:
    output = others_part(ansible_playbook(playbook).stdout)
    assert "TASK [Set the Services' target ports]" in output
    assert "included: " in output and "service_target_port.yml" in output
    assert "into the run" in output, "each task's banner tells when it started"
    assert "storage broken at noon" in output


def test_an_instructors_run_shows_the_learners_play_in_full(playbook: Path) -> None:
    output = learners_part(ansible_playbook(playbook, "-e", "lab_show_answers=true").stdout)
    assert "TASK [Set the Services' target ports]" in output
    assert "service_target_port.yml" in output


def test_ansible_runner_prints_through_the_same_output(playbook: Path) -> None:
    with Path(os.devnull).open("w") as progress:
        run = run_playbook(str(playbook), inventory=str(playbook.parent / "hosts.ini"), out=progress)
    learner = learners_part(run.output)
    assert "networking broken at noon" in learner
    assert [word for word in TELLING if word in learner] == [], learner
    assert "networking broken at noon" in run.messages, "the events still carry what was said"


def test_ansible_cfg_names_the_output_ansible_runner_uses() -> None:
    config = configparser.ConfigParser()
    config.read(REPO / "ansible.cfg")
    assert config["defaults"]["stdout_callback"] == LAB_OUTPUT
