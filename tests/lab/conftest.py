"""The lab the cluster tests share: brought up once per session, as a user would (`make lab`)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from cloudmart_lab import settings as lab_settings
from cloudmart_lab import state as lab_state
from cloudmart_lab.paths import REPO
from tests.lab.cluster import Cluster

TIMINGS: dict[str, float] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/lab/" in str(item.path):
            item.add_marker(pytest.mark.lab)
    # the teardown test removes the shared lab: it runs last
    items.sort(key=lambda item: item.path.name == "test_teardown.py")


@pytest.fixture(scope="session")
def lab(pytestconfig: pytest.Config) -> Iterator[Cluster]:
    """`python -m cloudmart_lab up`: builds or reuses the bundle and node image, then vagrant up."""
    started = time.monotonic()
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():  # bringing a lab up takes minutes: show its progress
        done = subprocess.run([sys.executable, "-m", "cloudmart_lab", "up"], cwd=REPO, check=False)
    TIMINGS["lab up (prepare + vagrant up)"] = time.monotonic() - started
    if done.returncode != 0:
        pytest.fail(f"the lab did not come up (exit {done.returncode}); its output above says why", pytrace=False)
    cluster = Cluster(lab_settings.load(), lab_state.load())
    cluster.wait_until_settled()
    yield cluster
    cluster.delete_test_namespaces()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TIMINGS:
        terminalreporter.section("lab timings")
        for what, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{what}: {seconds:.0f}s")
