"""The lock that lets one break, solve or reset run at a time on a cluster (module_utils/run_lock.py),
with real processes standing for ansible-playbook runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from cloudmart_lab.paths import REPO

sys.path.insert(0, str(REPO / ".ansible" / "collections"))

from ansible_collections.cloudmart.lab.plugins.module_utils.run_lock import (
    LockError,
    acquire,
    current_holder,
    is_free,
    release,
)


@pytest.fixture
def playbooks():
    """Start processes that stand for ansible-playbook runs; all are gone after the test."""
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(["sleep", "60"])
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
        process.wait()


def test_one_run_holds_the_lock_a_second_is_refused_in_one_line(tmp_path, playbooks):
    lock = tmp_path / "lab.lock"
    first, second = playbooks(), playbooks()
    taken, holder = acquire(lock, "break.yml", "lab", first.pid)
    assert taken and holder.pid == first.pid and not is_free(lock)
    assert acquire(lock, "break.yml", "lab", first.pid)[0] is False, "a run that holds it takes it again freely"
    with pytest.raises(LockError, match=rf"^break.yml is already running on cluster lab since {holder.since}$"):
        acquire(lock, "reset.yml", "lab", second.pid)
    found = current_holder(lock)
    assert found is not None and (found.run, found.pid) == ("break.yml", first.pid)


def test_a_killed_run_lets_go_of_the_lock(tmp_path, playbooks):
    lock = tmp_path / "lab.lock"
    first, second = playbooks(), playbooks()
    acquire(lock, "break.yml", "lab", first.pid)
    first.send_signal(signal.SIGKILL)
    first.wait()
    started = time.monotonic()
    taken, holder = acquire(lock, "solve.yml", "lab", second.pid)
    assert taken and holder.run == "solve.yml"
    assert time.monotonic() - started < 5, "the holder notices within a second that its run is gone"


def test_a_killed_holder_lets_go_at_once(tmp_path, playbooks):
    lock = tmp_path / "lab.lock"
    first, second = playbooks(), playbooks()
    _, holder = acquire(lock, "break.yml", "lab", first.pid)
    os.kill(holder.holder, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while not is_free(lock) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert is_free(lock), "the kernel drops an flock with the process holding it"
    assert acquire(lock, "break.yml", "lab", second.pid)[0]


def test_release_lets_go_only_of_the_runs_own_lock(tmp_path, playbooks):
    lock = tmp_path / "lab.lock"
    first, second = playbooks(), playbooks()
    acquire(lock, "break.yml", "lab", first.pid)
    assert release(lock, second.pid) is False and not is_free(lock)
    assert release(lock, first.pid) is True and is_free(lock)
    assert current_holder(lock) is None
    assert release(lock, first.pid) is False, "letting go twice changes nothing"


def test_a_missing_lock_file_is_free_and_its_folder_is_made(tmp_path, playbooks):
    lock = tmp_path / "cluster" / "lab.lock"
    assert is_free(lock) and current_holder(lock) is None
    assert acquire(lock, "break.yml", "lab", playbooks().pid)[0]
