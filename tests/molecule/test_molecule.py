"""The roles' molecule scenarios, run as a role author runs them (`molecule test -s <scenario>`).

CI runs the scenarios in CI_SCENARIOS after the lab is gone; `make molecule` (`molecule test
--all`) runs every one. Each scenario's full output goes to .lab/molecule-logs/<scenario>.log.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cloudmart_lab.paths import REPO

# the fault drill (break, verify, solve, verify on a control plane and a worker) and the node role;
# the others need a cluster or CloudMart each and take 4 to 15 minutes more apiece
CI_SCENARIOS = ["default", "node"]
LOGS = REPO / ".lab" / "molecule-logs"
RECAP = re.compile(r"^(SCENARIO RECAP|DETAILS)", re.MULTILINE)
COLOURS = re.compile(r"\x1b\[[0-9;]*m")


def molecule_scenarios() -> list[str]:
    return sorted(path.parent.name for path in (REPO / "molecule").glob("*/molecule.yml"))


def test_ci_runs_real_scenarios():
    assert set(CI_SCENARIOS) <= set(molecule_scenarios())


@pytest.mark.parametrize("scenario", CI_SCENARIOS)
def test_scenario_passes_molecule_test(scenario: str):
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{scenario}.log"
    venv_bin = Path(sys.executable).parent
    env = {**os.environ, "PATH": os.pathsep.join([str(venv_bin), os.environ["PATH"]]), "NO_COLOR": "1"}
    with log.open("w") as output:
        done = subprocess.run(
            [str(venv_bin / "molecule"), "test", "--scenario-name", scenario],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
            timeout=40 * 60,
        )
    text = COLOURS.sub("", log.read_text())
    found = RECAP.search(text)
    recap = text[found.start() :] if found else text[-3000:]
    assert done.returncode == 0, f"molecule test -s {scenario} failed (full output: {log}):\n{recap}"
