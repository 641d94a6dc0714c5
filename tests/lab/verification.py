"""verify.yml as the lab tests run it: the play's outcome and the reports it wrote, the learner's
(the default audience) and the instructor's (written beside them, as a workshop's scoreboard asks)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudmart_lab.paths import REPO
from cloudmart_lab.runner import PlaybookRun, run_playbook

REPORTS = REPO / ".lab" / "reports"
INSTRUCTOR = REPORTS.parent / "instructor-reports"
FILES = ("verify.json", "verify.md", "verify.txt", "verify.xml")


@dataclass
class Verification:
    run: PlaybookRun
    # the instructor's view: every check, its outcome and its findings' diagnoses
    report: dict[str, Any]
    # the learner's view (None when the run was for the instructor)
    learner: dict[str, Any] | None
    instructor_dir: Path

    def check(self, name: str) -> dict[str, Any]:
        return next(c for c in self.report["checks"] if c["check"] == name)

    def outcome(self, name: str) -> str:
        return self.check(name)["outcome"]

    def findings(self, name: str) -> str:
        return "\n".join(f["diagnosis"] for f in self.check(name)["findings"])

    def not_passed(self) -> set[str]:
        return {c["check"] for c in self.report["checks"] if c["outcome"] != "passed"}

    def scenario(self, name: str) -> dict[str, Any]:
        return next(s for s in self.report["scenarios"] if s["name"] == name)

    def learner_saw(self) -> str:
        """All a learner could read of this run: the terminal at -v and every report file."""
        return self.run.output + "".join((REPORTS / name).read_text() for name in FILES)

    def __str__(self) -> str:
        return (self.instructor_dir / "verify.txt").read_text()


def verify(inventory: str = "inventory/vagrant.yml", **extravars: Any) -> Verification:
    """verify.yml at -v, as a learner runs it unless verify_audience=instructor is given; the
    instructor's reports are written beside the learner's."""
    instructor = extravars.get("verify_audience") == "instructor"
    folder = REPORTS if instructor else INSTRUCTOR
    if not instructor:
        extravars.setdefault("verify_instructor_dir", str(INSTRUCTOR))
    for name in FILES:
        (REPORTS / name).unlink(missing_ok=True)
        (INSTRUCTOR / name).unlink(missing_ok=True)
    run = run_playbook("verify.yml", inventory=inventory, extravars=extravars, verbosity=1)
    report = json.loads((folder / "verify.json").read_text())
    learner = None if instructor else json.loads((REPORTS / "verify.json").read_text())
    return Verification(run, report, learner, folder)
