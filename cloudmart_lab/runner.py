"""Running the lab's playbooks with ansible-runner, with progress drawn from its events."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ansible_runner

from cloudmart_lab.paths import REPO
from cloudmart_lab.progress import format_seconds

LAB_OUTPUT = "cloudmart.lab.lab_output"


@dataclass
class PlaybookRun:
    playbook: str
    status: str
    rc: int
    seconds: float
    stats: dict[str, dict[str, int]] = field(default_factory=dict)
    changed_tasks: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    # what the run's debug tasks said, one line each
    messages: list[str] = field(default_factory=list)
    # everything ansible-playbook printed, as a person running it would have seen it
    output: str = ""

    @property
    def changed(self) -> int:
        return sum(self.stats.get("changed", {}).values())

    @property
    def ok(self) -> bool:
        return self.status == "successful" and self.rc == 0


class _Progress:
    """Prints one line per task and per failure, from ansible-runner's event stream."""

    def __init__(self, run: PlaybookRun, out: Any) -> None:
        self.run, self.out, self.started = run, out, time.monotonic()

    def __call__(self, event: dict[str, Any]) -> bool:
        if event.get("stdout"):
            self.run.output += event["stdout"] + "\n"
        data = event.get("event_data", {})
        kind = event.get("event")
        stamp = format_seconds(time.monotonic() - self.started)
        if kind == "playbook_on_play_start":
            print(f"[{stamp}] PLAY {data.get('play', '')}", file=self.out, flush=True)
        elif kind == "playbook_on_task_start":
            print(f"[{stamp}]   {data.get('task', '')}", file=self.out, flush=True)
        elif kind == "runner_on_ok":
            result = data.get("res", {})
            if result.get("changed"):
                self.run.changed_tasks.append(f"{data.get('host')}: {data.get('task')}")
            if data.get("task_action") in ("debug", "ansible.builtin.debug"):
                self.run.messages.extend(_said(result))
        elif kind in ("runner_on_failed", "runner_on_unreachable") and not data.get("ignore_errors"):
            message = data.get("res", {}).get("msg") or data.get("res", {}).get("stderr") or "failed"
            line = f"{data.get('host')}: {data.get('task')}: {' '.join(str(message).split())}"
            self.run.failures.append(line)
            print(f"[{stamp}]   FAILED {line}", file=self.out, flush=True)
        return True


def _said(result: dict[str, Any]) -> list[str]:
    """The lines a debug task printed, one per message (a looped task's items each)."""
    items = [item for item in result.get("results", [result]) if "msg" in item and not item.get("skipped")]
    lines = [line for item in items for line in (item["msg"] if isinstance(item["msg"], list) else [item["msg"]])]
    return [" ".join(str(line).split()) for line in lines]


def run_playbook(
    playbook: str,
    *,
    inventory: str = "inventory/vagrant.yml",
    extravars: dict[str, Any] | None = None,
    limit: str | None = None,
    tags: str | None = None,
    check: bool = False,
    verbosity: int = 0,
    env: dict[str, str] | None = None,
    out: Any = sys.stderr,
) -> PlaybookRun:
    """Run a playbook of this repository and return what happened, printing progress as it goes.
    `env` adds to the playbook's environment (a workshop learner's settings and state folder)."""
    run = PlaybookRun(playbook, "unstarted", -1, 0.0)
    private = Path(tempfile.mkdtemp(prefix="lab-runner-"))
    started = time.monotonic()
    cmdline = "--check --diff" if check else None
    try:
        result = ansible_runner.run(
            private_data_dir=str(private),
            project_dir=str(REPO),
            playbook=str(REPO / playbook),
            inventory=str(REPO / inventory),
            extravars=extravars or {},
            limit=limit,
            tags=tags,
            cmdline=cmdline,
            verbosity=verbosity or None,
            envvars={
                "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
                # ansible-runner puts its own callback in place of ansible.cfg's and prints through
                # the one named here: the output is then what a person running the playbook sees
                "ANSIBLE_STDOUT_CALLBACK": LAB_OUTPUT,
                "PATH": _path_with_venv(),
                **(env or {}),
            },
            event_handler=_Progress(run, out),
            quiet=True,
            suppress_env_files=True,
        )
        run.status, run.rc = result.status, result.rc
        run.stats = result.stats or {}
    finally:
        run.seconds = time.monotonic() - started
        shutil.rmtree(private, ignore_errors=True)
    return run


def _path_with_venv() -> str:
    """ansible-playbook and its modules must come from the interpreter running this toolkit."""
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
