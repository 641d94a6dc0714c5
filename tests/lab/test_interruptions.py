"""break.yml interrupted part-way, as Ctrl-C, a dropped SSH session or a kill would, then the lab
recovered by solve.yml or reset.yml: each time verify gives full marks and no row of data is lost.
Two breaks started together: one breaks, the other refuses in one line, and verify waits for the
break instead of scoring it.

CI kills (SIGKILL) break.yml at each of the four moments once: here during the deployment's
rollout (then solve.yml) and after the old claims are gone (the test of two breaks at once, then
reset.yml); the fault rounds of test_faults.py during networking and during the control-plane edit
(then break.yml finishes the break and solve.yml repairs it). `make test-extended` runs every
moment with SIGKILL and SIGTERM, each recovered directly by solve.yml and by reset.yml."""

from __future__ import annotations

import json
import re
import signal
import threading
from collections.abc import Callable
from typing import Any

import pytest

from cloudmart_lab.runner import run_playbook
from tests.lab.cloudmart import CloudMart
from tests.lab.cluster import Cluster, eventually
from tests.lab.conftest import LOCK, TIMINGS
from tests.lab.interrupted import MOMENTS, Playbook, assert_written_ahead, interrupt_when, record, snapshot, start
from tests.lab.test_faults import assert_full_marks
from tests.lab.verification import verify

pytestmark = pytest.mark.usefixtures("repaired_afterwards")


# CI: the deployment moment recovered by solve.yml, the storage moment by reset.yml (the test of
# two breaks started together); the networking and control-plane moments interrupt the fault
# rounds' breaks (test_faults.py), which break.yml then finishes and solve.yml repairs.
CI_CASES = [("deployment", signal.SIGKILL, "solve.yml")]
EXTENDED_CASES = [
    (moment, sig, recovery)
    for moment in MOMENTS
    for sig in (signal.SIGKILL, signal.SIGTERM)
    for recovery in ("solve.yml", "reset.yml")
    if (moment, sig, recovery) not in CI_CASES
]


@pytest.fixture(scope="module")
def shop(lab: Cluster) -> CloudMart:
    lab.wait_until_settled()
    return CloudMart(lab)


def recover_and_check(lab: Cluster, shop: CloudMart, recovery: str, before: dict[str, Any], label: str) -> None:
    repaired = run_playbook(recovery)
    assert repaired.ok, f"{recovery} after {label}: {repaired.failures}"
    TIMINGS[f"{recovery} after {label}"] = repaired.seconds
    lab.wait_until_settled()
    assert record() == {}, "the record is empty once repaired"
    assert shop.fingerprint() == before, "every row of every store is as it was before the break"
    assert_full_marks(verify())


def run_case(lab: Cluster, shop: CloudMart, moment_name: str, sig: signal.Signals, recovery: str) -> None:
    moment = MOMENTS[moment_name]
    data = shop.fingerprint()
    before = snapshot(lab)
    extravars = {"scenarios": moment.scenarios} if moment.scenarios else {}
    run = start("break.yml", **extravars)
    interrupt_when(run, lambda: moment.happened(lab, before), moment.what, timeout=300, sig=sig)
    assert_written_ahead(moment)
    recover_and_check(lab, shop, recovery, data, f"{moment.scenario} interrupted by {sig.name}")


@pytest.mark.parametrize(("moment", "sig", "recovery"), CI_CASES, ids=[f"{m}-{s.name}-{r}" for m, s, r in CI_CASES])
def test_an_interrupted_break_is_recovered_with_full_marks_and_no_data_lost(lab, shop, moment, sig, recovery):
    run_case(lab, shop, moment, sig, recovery)


@pytest.mark.extended
@pytest.mark.parametrize(("moment", "sig", "recovery"), EXTENDED_CASES, ids=[f"{m}-{s.name}-{r}" for m, s, r in EXTENDED_CASES])
def test_every_interruption_is_recovered_either_way(lab, shop, moment, sig, recovery):
    run_case(lab, shop, moment, sig, recovery)


def test_two_breaks_at_once_one_breaks_the_other_refuses_and_verify_waits(lab, shop):
    data = shop.fingerprint()
    before = snapshot(lab)
    runs = [start("break.yml", scenarios="storage"), start("break.yml", scenarios="storage")]

    def holder() -> int | None:
        try:
            return json.loads(LOCK.read_text())["pid"]
        except (OSError, ValueError, KeyError):
            return None

    winner = next(run for run in runs if _eventually_holds(holder, runs) == run.process.pid)
    loser = next(run for run in runs if run is not winner)
    stopped: list[float] = []
    moment = MOMENTS["storage"]
    watcher = threading.Thread(
        target=lambda: stopped.append(interrupt_when(winner, lambda: moment.happened(lab, before), moment.what)), daemon=True
    )
    watcher.start()

    during = run_playbook("verify.yml")
    assert not during.ok
    assert any("a break is in progress on cluster lab since" in line for line in during.failures), during.failures

    assert loser.wait(120) != 0
    # Ansible shows a task's failure twice (its error line and the task's msg): one sentence, one line
    reason = re.compile(r"break\.yml is already running on cluster lab since \d\d:\d\d$")
    refusals = [line for line in loser.output if "already running" in line]
    assert refusals and all(reason.search(line) for line in refusals), loser.text()
    assert "Traceback" not in loser.text(), loser.text()
    assert "changed=0" in loser.text(), "the refused break changed nothing"
    watcher.join(timeout=320)
    assert stopped, f"the winning break was not interrupted: {winner.text()[-2000:]}"
    assert_written_ahead(moment)
    recover_and_check(lab, shop, "reset.yml", data, "storage interrupted by SIGKILL, a second break refused")


def _eventually_holds(holder: Callable[[], int | None], runs: list[Playbook]) -> int:
    pids = {run.process.pid for run in runs}
    return eventually(lambda: holder() if holder() in pids else None, timeout=60, interval=0.2, what="one break holds the lock")
