"""pytest plugin of the lab's checks: the lab fixture, blocked checks, the score and its reports."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from findings import AUDIENCES, Blocked, Failed, Finding, found
from lab import Lab, Settings
from report import junit, markdown, table, view
from scoring import Result, criteria, fold, score

RESULTS = pytest.StashKey[dict[str, Result]]()
LAB = pytest.StashKey[Lab]()


def pytest_configure(config: pytest.Config) -> None:
    settings = os.environ.get("CLOUDMART_VERIFY_SETTINGS")
    if not settings:
        raise pytest.UsageError("CLOUDMART_VERIFY_SETTINGS is not set: run the checks with ansible-playbook verify.yml")
    lab = Lab(Settings(**json.loads(settings)))
    if lab.settings.audience not in AUDIENCES:
        raise pytest.UsageError(f"verify_audience is {lab.settings.audience}: choose {' or '.join(AUDIENCES)}")
    config.stash[LAB] = lab
    config.stash[RESULTS] = {}


@pytest.fixture(scope="session")
def lab(request: pytest.FixtureRequest) -> Lab:
    return request.config.stash[LAB]


# the checks that read the probes: a run without them makes none
PROBED = {"storage-provisioner-answers", "network-policy-enforced", "cluster-dns-answers"}


@pytest.fixture(scope="session", autouse=True)
def watch_from_the_start(lab: Lab, request: pytest.FixtureRequest) -> Generator[None, None, None]:
    """The pods as they are when verification starts (no-restarts compares with them at the end),
    and the probes of what the cluster serves, running beside the checks; removed at the end."""
    if lab.api_problem:
        yield
        return
    lab.listed("pod")
    probed = PROBED & {check_id(item) for item in request.session.items}
    probes = lab.probes() if probed and lab.settings.probe_image else None
    yield
    if probes is not None:
        probes.stop()


def check_id(item: pytest.Item) -> str:
    marker = item.get_closest_marker("check")
    if marker is None:
        raise pytest.UsageError(f"{item.nodeid} has no check marker")
    return marker.args[0]


def scored_checks(settings: Settings) -> set[str]:
    """The checks of the scenarios and matrix rows this run scores, and of every success criterion."""
    areas = [*settings.catalog, *settings.matrix]
    scored = {check for area in areas for level in area.get("checks", {}).values() for check in level}
    return scored | {check for group in settings.criteria for criterion in group["criteria"] for check in criterion["checks"]}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A run that scores some scenarios (verify.yml -e scenarios=...) runs their checks alone."""
    wanted = scored_checks(config.stash[LAB].settings)
    deselected = [item for item in items if check_id(item) not in wanted]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if check_id(item) in wanted]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if call.when != "call" and not (call.excinfo and report.failed):
        return
    settings = item.config.stash[LAB].settings
    findings: list[Finding] = []
    state = "passed"
    if call.excinfo is not None:
        error = call.excinfo.value
        if isinstance(error, Blocked):
            state, findings = "blocked", [error.finding]
            report.outcome = "skipped"
        elif isinstance(error, Failed):
            state, findings = "failed", error.findings
        else:
            # an error the check did not expect still says what it is in one line
            detail = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            state, findings = "failed", [found("check-could-not-run", detail)]
        # what pytest itself prints and keeps: the audience's words only
        said = "\n".join(
            f.view(settings.audience, settings.language).get("diagnosis") or f.symptom.render(settings.language) for f in findings
        )
        report.longrepr = (str(item.path), item.location[1] or 0, f"blocked: {said}") if state == "blocked" else said
    item.config.stash[RESULTS][check_id(item)] = Result(check_id(item), state, findings, round(report.duration, 2))


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if RESULTS not in config.stash or LAB not in config.stash:
        return
    lab = config.stash[LAB]
    results = config.stash[RESULTS]
    settings = lab.settings
    scored = score(settings.catalog, settings.matrix, results, settings.broken, attempt=settings.attempt)
    scored["criteria"] = criteria(settings.criteria, results)
    scored["causes"] = fold(results, settings.causes)
    scored["unfold"] = settings.unfold
    scored["seconds"] = round(time.monotonic() - lab.started, 1)
    areas = [*settings.catalog, *settings.matrix]
    write(Path(settings.report_dir), view(scored, results, areas, settings.audience, settings.language), settings.suite)
    if settings.instructor_dir and settings.audience != "instructor":
        write(Path(settings.instructor_dir), view(scored, results, areas, "instructor", settings.language), settings.suite)
    if session.exitstatus == 0 and any(r.outcome != "passed" for r in results.values()):
        session.exitstatus = 1


def write(folder: Path, shown: dict[str, Any], suite: str) -> None:
    """The reports of one view: verify.json (the view itself), .txt, .md and JUnit's .xml."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "verify.json").write_text(json.dumps(shown, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / "verify.md").write_text(markdown(shown), encoding="utf-8")
    (folder / "verify.txt").write_text(table(shown), encoding="utf-8")
    (folder / "verify.xml").write_text(junit(shown, suite), encoding="utf-8")
