"""Playbooks run as a person runs them, in a terminal of their own, so that a test can interrupt
them part-way as Ctrl-C, a dropped SSH session or a kill would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudmart_lab.paths import REPO
from tests.lab.cluster import Cluster
from tests.lab.conftest import FAULTS_STATE

ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
MANIFEST = "/etc/kubernetes/manifests/kube-apiserver.yaml"


@dataclass
class Playbook:
    """An ansible-playbook process in its own session: a signal to its process group reaches the
    playbook, its workers and the modules they run, as the terminal's would."""

    name: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line.rstrip("\n"))

    def running(self) -> bool:
        return self.process.poll() is None

    def interrupt(self, sig: signal.Signals = signal.SIGKILL) -> float:
        """Send the signal to every process of the run; returns when it has ended, with the seconds
        it ran. A run that outlives a gentle signal by a minute is killed."""
        if self.running():
            os.killpg(self.process.pid, sig)
        try:
            self.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.wait(30)
        return time.monotonic() - self.started

    def wait(self, timeout: float) -> int:
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return code

    def text(self) -> str:
        return "\n".join(self.output)


def start(playbook: str, **extravars: Any) -> Playbook:
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "PATH": os.pathsep.join([str(ANSIBLE_PLAYBOOK.parent), os.environ.get("PATH", "")]),
    }
    command = [str(ANSIBLE_PLAYBOOK), "-i", "inventory/vagrant.yml", playbook]
    if extravars:
        command += ["-e", json.dumps(extravars)]
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    return Playbook(playbook, process)


def interrupt_when(
    run: Playbook,
    happened: Callable[[], bool],
    what: str,
    timeout: float = 300,
    poll: float = 0.2,
    sig: signal.Signals = signal.SIGKILL,
) -> float:
    """Watch for the moment, then send the signal to the run at once; the seconds from its start.
    Fails when the run ends first (the moment was missed) or the moment never comes."""
    deadline = time.monotonic() + timeout
    while not _safely(happened):
        if not run.running():
            raise AssertionError(f"{run.name} ended (exit {run.process.returncode}) before {what}:\n{run.text()[-3000:]}")
        if time.monotonic() > deadline:
            run.interrupt()
            raise AssertionError(f"{what}: not within {timeout:.0f}s of {run.name}")
        time.sleep(poll)
    return run.interrupt(sig)


def _safely(happened: Callable[[], bool]) -> bool:
    try:
        return happened()
    except Exception:  # the API may refuse while the lab changes: not yet
        return False


@dataclass(frozen=True)
class Moment:
    """A point inside break.yml at which it is interrupted."""

    scenario: str
    what: str
    # the break to run: all scenarios (the networking scenario breaks first) or this one alone
    scenarios: str | None
    happened: Callable[[Cluster, dict[str, Any]], bool]


def service_changed(lab: Cluster, before: dict[str, Any]) -> bool:
    service = lab.core.read_namespaced_service("user-service", "backend").spec
    return service.ports[0].target_port != 8080 or service.selector != {"app": "user-service"}


def old_claim_gone(lab: Cluster, before: dict[str, Any]) -> bool:
    claims = {c.metadata.name: c.metadata.uid for c in lab.core.list_namespaced_persistent_volume_claim("data").items}
    return claims.get("postgres-data") != before["postgres-data"]


def rollout_started(lab: Cluster, before: dict[str, Any]) -> bool:
    template = lab.apps.read_namespaced_deployment("order-service", "backend").spec.template
    return template.spec.containers[0].image != before["order-image"]


def manifest_edited(lab: Cluster, before: dict[str, Any]) -> bool:
    node = lab.host(lab.settings.control_plane.name)
    return node.run(f"grep -q -- --secure-port=6443 {MANIFEST}").rc == 1


MOMENTS = {
    "networking": Moment("networking", "the first Service is changed", None, service_changed),
    "storage": Moment("storage", "the old postgres-data claim is gone", "storage", old_claim_gone),
    "deployment": Moment("deployment", "order-service's broken version is rolling out", "deployment", rollout_started),
    "control-plane": Moment("control-plane", "the API server's manifest is edited", "control-plane", manifest_edited),
}


def snapshot(lab: Cluster) -> dict[str, Any]:
    claims = lab.core.list_namespaced_persistent_volume_claim("data").items
    return {
        "postgres-data": next(c.metadata.uid for c in claims if c.metadata.name == "postgres-data"),
        "order-image": lab.apps.read_namespaced_deployment("order-service", "backend").spec.template.spec.containers[0].image,
    }


def record() -> dict[str, Any]:
    return json.loads(FAULTS_STATE.read_text()) if FAULTS_STATE.exists() else {}


def assert_written_ahead(moment: Moment) -> None:
    """The interrupted break left its record: the scenario was being broken, with its values."""
    found = record().get(moment.scenario)
    assert found and found["status"] == "breaking" and found["values"], record()
    if moment.scenario == "deployment":
        assert isinstance(found["revision"], int), "the revision to roll back to is written before the rollout"
