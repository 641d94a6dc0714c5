"""The lab the cluster tests share: brought up once per session, as a user would (`make lab`)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from cloudmart_lab import memory
from cloudmart_lab import settings as lab_settings
from cloudmart_lab import state as lab_state
from cloudmart_lab.paths import REPO
from cloudmart_lab.runner import run_playbook
from tests.lab import bring_up
from tests.lab.cluster import Cluster

TIMINGS: dict[str, float] = {}
# how this run's bring-up went; empty when the run found a lab already up
CAME_UP: list[bring_up.CameUp] = []
# what each node container uses once the lab tests are done (docker stats, median of 3 samples),
# taken by the teardown test before it destroys the lab
MEMORY: dict[str, int] = {}
# what a test tolerated and retried, with what the lab said about it: shown after the run
NOTES: list[str] = []
# what break.yml records: a scenario listed here is still broken
FAULTS_STATE = REPO / ".lab" / "faults.json"
# what break, solve and reset hold while they change the cluster
LOCK = REPO / ".lab" / "lab.lock"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/lab/" in str(item.path):
            item.add_marker(pytest.mark.lab)


# Started once the tests are collected, if any needs the lab (tests/conftest.py runs the unit tests first)
BRING_UP: bring_up.BringUp | None = None


def pytest_collection_finish(session: pytest.Session) -> None:
    global BRING_UP
    if not session.config.option.collectonly and any("tests/lab/" in str(item.path) for item in session.items):
        BRING_UP = bring_up.start(beside_other_tests=any("tests/lab/" not in str(item.path) for item in session.items))


def pytest_sessionfinish(session: pytest.Session) -> None:
    if BRING_UP is not None:
        BRING_UP.stop()


@pytest.fixture(scope="session")
def lab(pytestconfig: pytest.Config) -> Iterator[Cluster]:
    """`python -m cloudmart_lab up`: builds or reuses the bundle and node image, then vagrant up; begun
    in the background when the run started, its output shown here once it is done."""
    started = BRING_UP or bring_up.start()
    code, seconds = started.wait()
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(started.output(), flush=True)
    TIMINGS["lab up (prepare + vagrant up)"] = seconds
    if code != 0:
        pytest.fail(f"the lab did not come up (exit {code}); its output above says why", pytrace=False)
    cluster = Cluster(lab_settings.load(), lab_state.load())
    cluster.wait_until_settled()
    record = bring_up.Record.load()
    # kubernetes timestamps have whole seconds: these figures may be up to a second early
    times = cluster.came_up(nodes_since=record.vagrant_up_began, pods_since=record.began)
    if times:
        pods = times["every pod ready"]
        CAME_UP.append(bring_up.CameUp(times["every node Ready"], pods, record.began + pods, record.warm, started.alone))
        TIMINGS["lab up: every node Ready, from the start of vagrant up"] = CAME_UP[0].nodes_ready
        TIMINGS["lab up: every pod ready, from the start of make lab"] = pods
        NOTES.append(f"the lab came up {CAME_UP[0].described()}")
    yield cluster
    cluster.delete_test_namespaces()


@pytest.fixture
def repaired_afterwards(lab: Cluster) -> Iterator[None]:
    """A test that fails half-way leaves its faults behind: the next tests start from a repaired lab."""
    yield
    if FAULTS_STATE.exists() and json.loads(FAULTS_STATE.read_text()):
        run_playbook("reset.yml")
        lab.wait_until_settled()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TIMINGS:
        terminalreporter.section("lab timings")
        for what, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{what}: {seconds:.0f}s")
    if MEMORY:
        terminalreporter.section("lab memory, after the lab tests (docker stats, median of 3 samples)")
        terminalreporter.write_line(memory.table(MEMORY))
    if NOTES:
        terminalreporter.section("lab notes")
        for note in NOTES:
            terminalreporter.write_line(note)
