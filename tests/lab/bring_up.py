"""The shared lab brought up in the background (`python -m cloudmart_lab up`, as `make lab` does)
while the tests that need no cluster run: bringing it up is mostly waiting on nodes and pods."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cloudmart_lab import state as lab_state
from cloudmart_lab.paths import REPO
from cloudmart_lab.shell import run

# the targets for a warm `make lab` (bundles and node images cached) on the CI machine
NODES_READY_SECONDS = 90  # from the start of vagrant up
PODS_READY_SECONDS = 180  # from the start of make lab

# A run cut short (pytest -x, Ctrl-C) leaves no bring-up behind: it is stopped after this long.
STOP_SECONDS = 60
# While the lab comes up, the tests beside it run this much nicer: the bring-up (and the node
# containers, under the Docker engine) is what its times are measured on, as if it ran alone, and
# the tests use the CPU it leaves.
TESTS_NICENESS = 10


@dataclass
class BringUp:
    process: subprocess.Popen[bytes]
    log: Path
    started: float = field(default_factory=time.monotonic)
    wall_clock: float = field(default_factory=time.time)
    finished: float | None = None
    priority: int | None = None  # the tests' own, given back once the bring-up is done
    # no other test ran beside it (a run of the lab tests alone): its times are the lab's own
    alone: bool = True

    def __post_init__(self) -> None:
        # when it ended, not when a test first waited for it
        threading.Thread(target=self._note_the_end, daemon=True).start()

    def _note_the_end(self) -> None:
        self.process.wait()
        self.finished = time.monotonic()

    def wait(self) -> tuple[int, float]:
        """The exit code and the seconds the bring-up took."""
        code = self.process.wait()
        while self.finished is None:
            time.sleep(0.1)
        if self.priority is not None:
            # only root may raise it again; otherwise the tests go on a little slower
            with contextlib.suppress(PermissionError):
                os.setpriority(os.PRIO_PROCESS, 0, self.priority)
            self.priority = None
        return code, self.finished - self.started

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start(beside_other_tests: bool = False) -> BringUp:
    log = Path(tempfile.mkstemp(prefix="lab-up-", suffix=".log")[1])
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cloudmart_lab", "up"],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # stopped as a whole, vagrant and ansible with it
        )
    if not beside_other_tests:
        return BringUp(process, log)
    priority = os.getpriority(os.PRIO_PROCESS, 0)
    os.nice(TESTS_NICENESS)
    return BringUp(process, log, priority=priority, alone=False)


@dataclass(frozen=True)
class Record:
    """What `python -m cloudmart_lab up` recorded of its run (.lab/up.json)."""

    began: float  # the run, seconds since the epoch
    vagrant_up_began: float
    warm: bool  # nothing was built: the bundles and the node image came from the cache

    @classmethod
    def load(cls) -> Record:
        record = json.loads(lab_state.run_record_file().read_text())
        (vagrant,) = [step for step in record["steps"] if step["name"].startswith("vagrant up")]
        return cls(record["began"], vagrant["began"], built_before(record["began"]))


def built_before(moment: float) -> bool:
    """Whether every artifact the lab runs from (both bundles, the node image its containers run)
    existed before `moment`: a run that built one is a cold run."""
    prepared = lab_state.load()
    bundles = [Path(folder) / "manifest.json" for folder in (prepared.bundle_dir, prepared.platform_bundle_dir) if folder]
    if any(path.stat().st_mtime >= moment for path in bundles):
        return False
    created = run(["docker", "image", "inspect", "--format", "{{.Created}}", prepared.node_image], what="docker image inspect")
    return datetime.fromisoformat(created.strip()).timestamp() < moment


@dataclass(frozen=True)
class CameUp:
    """How this run's bring-up went, in the lab's own terms."""

    nodes_ready: float  # seconds from the start of vagrant up until the last node was Ready
    pods_ready: float  # seconds from the start of make lab until the last pod was ready
    pods_ready_at: float  # when that was (time.time())
    warm: bool  # nothing was built
    alone: bool  # no other test ran beside it

    @property
    def asserted(self) -> bool:
        """Whether its figures are the lab's own, to hold against the targets (else reported only)."""
        return self.warm and self.alone

    def described(self) -> str:
        return f"{'warm' if self.warm else 'cold: a bundle or the node image was built'}, " + (
            "with the machine to itself" if self.alone else "beside the tests that need no cluster"
        )
