"""The verify role on a healthy lab: every scenario at full marks, the same in every report.

The healthy baseline has no NetworkPolicies: the evaluation matrix's security row stays at its
basic level (its root and prevention checks fail) without lowering the score, as the README says.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml
from scenario import STATE

# the role reads the cluster and writes reports on the controller; molecule's idempotence step
# shows it changes nothing
testinfra_hosts = ["ansible://control_plane"]
REPORTS = STATE / "reports"
MATRIX = yaml.safe_load((Path(__file__).parents[3] / "roles/verify/vars/main.yml").read_text())["verify_matrix"]
SECURITY = next(row for row in MATRIX if row["name"] == "security")["checks"]


def report() -> dict:
    return json.loads((REPORTS / "verify.json").read_text())


def test_a_healthy_lab_scores_full_marks():
    scored = report()
    assert scored["score"] == scored["out_of"] == 100
    assert all(row["level"] == "prevention" and not row["failed"] for row in scored["scenarios"])


def test_only_the_missing_network_policies_fail():
    not_passed = {c["check"] for c in report()["checks"] if c["outcome"] != "passed"}
    assert not_passed == set(SECURITY["root"] + SECURITY["prevention"])


def test_the_junit_report_agrees():
    suite = ET.parse(REPORTS / "verify.xml").getroot()
    checks = report()["checks"]
    assert suite.tag == "testsuite" and int(suite.get("tests")) == len(checks)
    assert int(suite.get("failures")) == sum(c["outcome"] == "failed" for c in checks)
    assert not suite.findall("testcase/skipped"), "nothing blocked on a healthy lab"
