# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""One run at a time on a cluster: an flock on a file beside the cluster's kubeconfig, held for as
long as the ansible-playbook process that took it lives.

Ansible runs each task in a short-lived worker process, so the lock is held by a small holder
process (this file, run as a program) that the run_lock action starts: it takes the lock, says so,
and keeps it until the playbook's process is gone, however it ended - finished, failed, Ctrl-C or
SIGKILL. The kernel releases an flock when its holder dies, so no stale lock survives a crash.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# How long a run waits for a lock whose playbook has ended but whose holder has not yet noticed.
SETTLE_SECONDS = 5.0
POLL_SECONDS = 0.2


class LockError(Exception):
    """The lock could not be taken or read; the message is one line for a person."""


@dataclass
class Holder:
    run: str
    cluster: str
    since: str
    pid: int  # the ansible-playbook process the lock belongs to
    holder: int = 0  # the process keeping the lock

    def busy_message(self) -> str:
        return f"{self.run} is already running on cluster {self.cluster} since {self.since}"


def started(pid: int) -> str | None:
    """The process's start time (field 22 of /proc/<pid>/stat), or None when it is gone; it tells
    the process apart from a later one that got the same pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def read_holder(path: Path) -> Holder | None:
    try:
        return Holder(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def is_free(path: Path) -> bool:
    """Whether no process holds the lock (taken and let go at once to find out)."""
    if not path.exists():
        return True
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def current_holder(path: Path) -> Holder | None:
    """Who holds the lock now (None when free). A holder whose playbook has ended is given a few
    seconds to notice and let go."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        if is_free(path):
            return None
        holder = read_holder(path)
        alive = holder is not None and started(holder.pid) is not None
        if alive or time.monotonic() > deadline:
            return holder or Holder(run="another run", cluster="?", since="?", pid=0)
        time.sleep(POLL_SECONDS)


def acquire(path: Path, run: str, cluster: str, pid: int) -> tuple[bool, Holder]:
    """Take the lock for the playbook process `pid`. Returns (taken now, holder): not taken now when
    this playbook holds it already; LockError when another run does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        holder = current_holder(path)
        if holder is not None and holder.pid == pid:
            return False, holder
        if holder is not None and started(holder.pid) is not None:
            raise LockError(holder.busy_message())
        answer = _start_holder(path, Holder(run, cluster, time.strftime("%H:%M"), pid))
        if answer.startswith("held "):
            return True, Holder(**json.loads(answer[5:]))
        if time.monotonic() > deadline:
            busy = read_holder(path)
            raise LockError(busy.busy_message() if busy else f"the lock {path} is held by another run")
        time.sleep(POLL_SECONDS)


def release(path: Path, pid: int) -> bool:
    """Let go of the lock if the playbook process `pid` holds it; whether it did."""
    holder = read_holder(path)
    if holder is None or holder.pid != pid or is_free(path):
        return False
    if started(holder.holder) is not None:
        os.kill(holder.holder, signal.SIGTERM)
    deadline = time.monotonic() + SETTLE_SECONDS
    while not is_free(path):
        if time.monotonic() > deadline:
            raise LockError(f"the lock {path} was not let go of by process {holder.holder}")
        time.sleep(POLL_SECONDS)
    return True


def _start_holder(path: Path, wanted: Holder) -> str:
    process = subprocess.Popen(
        [sys.executable, __file__, str(path), json.dumps(asdict(wanted))],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # Ctrl-C of the playbook reaches the playbook, which lets it go
        close_fds=True,
    )
    assert process.stdout is not None
    answer = process.stdout.readline().strip()
    process.stdout.close()
    return answer


def hold(path: Path, wanted: Holder) -> None:
    """The holder process: take the lock or say who has it; keep it while the playbook lives."""
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("busy", flush=True)
        return
    playbook_started = started(wanted.pid)
    wanted.holder = os.getpid()
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(asdict(wanted)) + "\n")
    handle.flush()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("held " + json.dumps(asdict(wanted)), flush=True)
    sys.stdout.close()
    while playbook_started is not None and started(wanted.pid) == playbook_started:
        time.sleep(0.5)


def main(argv: list[str]) -> int:
    holder: dict[str, Any] = json.loads(argv[2])
    hold(Path(argv[1]), Holder(**holder))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
