"""The verify role on a healthy lab: full marks, every check passed, the same in every report."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from scenario import STATE

# the role reads the cluster and writes reports on the controller; molecule's idempotence step
# shows it changes nothing
testinfra_hosts = ["ansible://control_plane"]
REPORTS = STATE / "reports"


def test_a_healthy_lab_scores_full_marks_on_every_check():
    report = json.loads((REPORTS / "verify.json").read_text())
    assert report["score"] == report["out_of"] == 100
    assert [c["check"] for c in report["checks"] if c["outcome"] != "passed"] == []
    assert all(row["level"] == "prevention" for row in report["scenarios"])


def test_the_junit_report_agrees():
    suite = ET.parse(REPORTS / "verify.xml").getroot().find("testsuite")
    report = json.loads((REPORTS / "verify.json").read_text())
    assert int(suite.get("tests")) == len(report["checks"])
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("0", "0", "0")
