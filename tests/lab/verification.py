"""verify.yml as the lab tests run it: the play's outcome and the report it wrote."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cloudmart_lab.paths import REPO
from cloudmart_lab.runner import PlaybookRun, run_playbook

REPORTS = REPO / ".lab" / "reports"


@dataclass
class Verification:
    run: PlaybookRun
    report: dict[str, Any]

    def check(self, name: str) -> dict[str, Any]:
        return next(c for c in self.report["checks"] if c["check"] == name)

    def outcome(self, name: str) -> str:
        return self.check(name)["outcome"]

    def findings(self, name: str) -> str:
        return "\n".join(self.check(name)["findings"])

    def not_passed(self) -> set[str]:
        return {c["check"] for c in self.report["checks"] if c["outcome"] != "passed"}

    def scenario(self, name: str) -> dict[str, Any]:
        return next(s for s in self.report["scenarios"] if s["name"] == name)

    def __str__(self) -> str:
        return (REPORTS / "verify.txt").read_text()


def verify(inventory: str = "inventory/vagrant.yml", **extravars: Any) -> Verification:
    (REPORTS / "verify.json").unlink(missing_ok=True)
    run = run_playbook("verify.yml", inventory=inventory, extravars=extravars)
    return Verification(run, json.loads((REPORTS / "verify.json").read_text()))
