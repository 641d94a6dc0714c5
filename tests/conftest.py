"""Shared test setup: the toolkit's own tools (ansible, ansible-playbook) come first on PATH, and
the tests run in an order that keeps one set of node containers at a time on the machine."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
os.environ.setdefault("ANSIBLE_CONFIG", str(Path(__file__).resolve().parent.parent / "ansible.cfg"))


def _rank(item: pytest.Item) -> int:
    """The tests that need no cluster (while the shared lab comes up in the background, see
    tests/lab/conftest.py), the lab tests, the teardown of the lab, then a workshop's learner
    clusters, then molecule's own nodes."""
    if "tests/molecule/" in str(item.path):
        return 4
    if "tests/workshop/" in str(item.path):
        return 3
    if item.path.name == "test_teardown.py":
        return 2
    return 1 if "tests/lab/" in str(item.path) else 0


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--extended",
        action="store_true",
        help="also run the tests beyond what CI runs (every interruption of break.yml): `make test-extended`",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/molecule/" in str(item.path):
            item.add_marker(pytest.mark.molecule)
        if "tests/workshop/" in str(item.path):
            item.add_marker(pytest.mark.workshop)
    if not config.getoption("--extended"):
        extended = [item for item in items if item.get_closest_marker("extended")]
        if extended:
            config.hook.pytest_deselected(items=extended)
            items[:] = [item for item in items if not item.get_closest_marker("extended")]
    items.sort(key=_rank)
