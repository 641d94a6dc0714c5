"""The verify role's score (files/checks/scoring.py) and how its checks line up with the catalog."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime

import pytest
import yaml

from cloudmart_lab.paths import REPO

CHECKS = REPO / "roles" / "verify" / "files" / "checks"
sys.path.insert(0, str(CHECKS))
sys.path.insert(0, str(REPO / ".ansible" / "collections"))

from ansible_collections.cloudmart.lab.plugins.module_utils import scenario_catalog  # noqa: E402
from findings import Finding, found  # noqa: E402
from report import junit, markdown, table, view  # noqa: E402
from scoring import Result, criteria, fold, score, score_row  # noqa: E402

CATALOG = scenario_catalog.load()
VERIFY_VARS = yaml.safe_load((REPO / "roles/verify/vars/main.yml").read_text())
MATRIX = VERIFY_VARS["verify_matrix"]
CRITERIA = VERIFY_VARS["verify_success_criteria"]
CAUSES = VERIFY_VARS["verify_causes"]
CHECKS_OF = {"basic": ["a", "b"], "root": ["c", "d"], "prevention": ["e"]}


def wrong(check: str, diagnosis: str | None = None) -> Finding:
    """A finding whose symptom (a learner's words) differs from its diagnosis (an instructor's)."""
    return found("service-no-endpoints", diagnosis or f"{check} is wrong", f"ns/{check}")


def results(outcomes: dict[str, str]) -> dict[str, Result]:
    return {check: Result(check, outcome, [] if outcome == "passed" else [wrong(check)]) for check, outcome in outcomes.items()}


def shown(scored: dict, checked: dict[str, Result], audience: str, language: str = "en", catalog=CATALOG) -> dict:
    return view(scored, checked, [*catalog, *MATRIX], audience, language)


def implemented() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in CHECKS.glob("check_*.py"):
        for check in re.findall(r'@pytest\.mark\.check\("([a-z0-9-]+)"\)', path.read_text()):
            assert check not in found, f"{check} is implemented twice"
            found[check] = path.name
    return found


def test_all_passed_earns_every_point_and_the_top_level():
    row = score_row("x", "X", 25, CHECKS_OF, results(dict.fromkeys("abcde", "passed")))
    assert (row.earned, row.level, row.failed) == (25, "prevention", [])


def test_symptoms_gone_earns_sixty_percent_and_the_basic_level():
    row = score_row("x", "X", 25, CHECKS_OF, results({"a": "passed", "b": "passed", "c": "failed", "d": "failed", "e": "failed"}))
    assert (row.earned, row.level, row.failed) == (15, "basic", ["c", "d", "e"])


def test_a_half_repair_earns_part_of_a_level_but_not_the_level():
    row = score_row("x", "X", 25, CHECKS_OF, results({"a": "passed", "b": "failed", "c": "passed", "d": "passed", "e": "passed"}))
    assert row.earned == pytest.approx(25 * (0.3 + 0.2 + 0.2))
    assert row.level == "none"


def test_blocked_and_missing_checks_earn_nothing_and_are_named():
    row = score_row("x", "X", 25, CHECKS_OF, results({"a": "blocked", "b": "passed", "c": "passed", "d": "passed"}))
    assert row.blocked == ["a"] and row.failed == ["e"]
    assert row.earned == pytest.approx(25 * (0.3 + 0.2))


def test_the_score_adds_the_scenarios_and_times_the_broken_ones():
    every = {c for s in CATALOG for level in s["checks"].values() for c in level}
    outcomes = dict.fromkeys(every, "passed")
    outcomes.update(dict.fromkeys(CATALOG[1]["checks"]["basic"], "failed"))
    broken = {"networking": {"broken_at": "2026-11-26T10:00:00Z"}}
    scored = score(CATALOG, MATRIX, results(outcomes), broken, now=datetime(2026, 11, 26, 10, 30, tzinfo=UTC))
    assert scored["score"] == 85 and scored["out_of"] == 100
    networking = next(s for s in scored["scenarios"] if s["name"] == "networking")
    assert (networking["minutes"], networking["time_box"], networking["level"]) == (30.0, 25, "none")
    problem_solving = next(r for r in scored["matrix"] if r["name"] == "problem-solving")
    assert (problem_solving["earned"], problem_solving["level"]) == (85, "none")
    scored["seconds"] = 12.5
    instructor = shown(scored, results(outcomes), "instructor")
    assert "30/25 min (over)" in table(instructor) and "services-have-endpoints is wrong" in markdown(instructor)
    learner = shown(scored, results(outcomes), "learner")
    assert "30/25 min (over)" in table(learner) and "Service ns/services-have-endpoints has no endpoints" in markdown(learner)
    assert "basic 60% 3 of 3" in table(learner), table(learner)


def test_the_learner_view_names_symptoms_in_their_language_never_a_diagnosis_nor_a_check():
    every = {c for s in CATALOG for level in s["checks"].values() for c in level}
    outcomes = dict.fromkeys(every, "passed")
    outcomes.update({"service-target-ports": "failed", "claims-bound": "blocked"})
    checked = results(outcomes)
    checked["service-target-ports"].findings = [
        found(
            "service-port-unanswered",
            "Service backend/user-service sends port 8080 to targetPort 3000, which its pods do not declare",
            "backend/user-service",
            port=8080,
        )
    ]
    checked["claims-bound"].findings = [
        Finding(found("api-server-down", "", "https://10.77.0.10:6443", reason="Connection refused").symptom, "API down (diag)")
    ]
    scored = score(CATALOG, MATRIX, checked, {})
    scored["seconds"] = 3.0
    for language, says in (
        ("en", "Service backend/user-service: connections to its port 8080 reach no container that listens"),
        ("ko", "Service backend/user-service: 포트 8080로의 연결이 대기 중인 컨테이너에 닿지 않음"),
    ):
        learner = shown(scored, checked, "learner", language)
        told = table(learner) + markdown(learner) + junit(learner, "lab") + str(learner)
        assert says in told, told
        assert ("networking · " in told and "root" in told) or "우수" in told
        assert "targetPort" not in told and "3000" not in told and "(diag)" not in told, told
        assert not any(check in told for check in every), "no check is named to a learner"
        assert "checks" not in learner and "failed" not in learner["scenarios"][1]
    assert "아직 남은 문제:" in table(shown(scored, checked, "learner", "ko"))
    instructor = shown(scored, checked, "instructor")
    assert "service-target-ports: Service backend/user-service sends port 8080 to targetPort 3000" in table(instructor)
    with_findings = {c["check"] for c in instructor["checks"] if c["findings"]}
    assert with_findings == {"service-target-ports", "claims-bound"}, with_findings


def test_every_check_the_catalog_the_matrix_and_the_criteria_name_is_implemented_once_and_every_check_is_scored():
    named = [c for s in CATALOG for level in s["checks"].values() for c in level]
    named += [c for area in MATRIX if "checks" in area for level in area["checks"].values() for c in level]
    named += [c for group in CRITERIA for criterion in group["criteria"] for c in criterion["checks"]]
    assert set(CAUSES) | {c for explained in CAUSES.values() for c in explained} <= set(named)
    checks = implemented()
    assert sorted(set(named) - set(checks)) == []
    assert sorted(set(checks) - set(named)) == []


def tokens(value: object) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(tokens(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(tokens(item) for item in value))
    return {str(value)}


def test_no_check_looks_for_a_value_the_break_injects():
    """Outcomes, not undo: the checks' code never names a wrong value of the catalog (those with a
    digit or a separator in them: ports, URLs, class and image names, label values like v2)."""
    wrong: set[str] = set()
    for scenario in CATALOG:
        for fault in scenario["faults"]:
            wrong |= tokens([fault["seed"], *fault["variants"]]) - tokens(fault.get("healthy", []))
    distinctive = {v for v in wrong if re.search(r"[0-9.:-]", v) and not v.endswith("%") and not (v.isdigit() and int(v) < 1000)}
    assert {"https://127.0.0.1:2380", "v2", "fast-ssd-nonexistent", "order-service:v2.1-broken", "3000"} <= distinctive
    code = "\n".join(path.read_text() for path in CHECKS.glob("*.py"))
    assert sorted(v for v in distinctive if re.search(rf"(?<![\w.-]){re.escape(v)}(?![\w.-])", code)) == []


def test_a_run_that_scores_one_scenario_is_out_of_its_points():
    """verify.yml -e scenarios=control-plane: that scenario and the problem-solving row alone."""
    chosen = [s for s in CATALOG if s["name"] == "control-plane"]
    rows = [area for area in MATRIX if area.get("from_scenarios")]
    checks = [c for level in chosen[0]["checks"].values() for c in level]
    scored = score(chosen, rows, results(dict.fromkeys(checks, "passed")), {})
    assert (scored["score"], scored["out_of"]) == (25, 25)
    assert [r["name"] for r in scored["matrix"]] == ["problem-solving"]
    assert scored["matrix"][0]["earned"] == 100


def test_a_success_criterion_is_met_only_when_every_one_of_its_checks_passed():
    outcomes = {check: "passed" for group in CRITERIA for c in group["criteria"] for check in c["checks"]}
    assert all(row["met"] for row in criteria(CRITERIA, results(outcomes)))
    outcomes.update({"ingress-paths": "failed", "nodes-ready": "blocked"})
    unmet = {row["name"]: row for row in criteria(CRITERIA, results(outcomes)) if not row["met"]}
    assert set(unmet) == {"reachable-from-outside", "nodes"}
    assert unmet["reachable-from-outside"]["failed"] == ["ingress-paths"] and unmet["nodes"]["blocked"] == ["nodes-ready"]
    # a criterion's check that did not run at all is not met either
    assert not all(row["met"] for row in criteria(CRITERIA, {}))


def dns_down() -> dict[str, Result]:
    found = results(
        {
            "addons-available": "failed",
            "cluster-dns-answers": "failed",
            "service-names-resolve": "failed",
            "services-reach-dependencies": "failed",
            "claims-bound": "failed",
            "nodes-ready": "passed",
        }
    )
    found["addons-available"].findings = [
        wrong("addons-available", "cluster DNS is down: Deployment kube-system/coredns runs 0 of 2 pods")
    ]
    found["cluster-dns-answers"].findings = [
        wrong("cluster-dns-answers", "cluster DNS does not answer: kubernetes.default.svc.cluster.local does not resolve")
    ]
    found["service-names-resolve"].findings = [
        wrong(f"s{n}", f"s{n}.backend.svc.cluster.local does not resolve") for n in range(40)
    ]
    return found


def test_a_failed_cause_takes_the_failures_it_explains_up_its_chain_and_a_passing_one_none():
    folded = fold(dns_down(), CAUSES)
    assert folded == {"cluster-dns-answers": ["service-names-resolve", "services-reach-dependencies"]}
    assert fold(results({"nodes-ready": "passed", "node-services": "failed"}), CAUSES) == {}
    chain = {"a": ["b"], "b": ["c"]}
    assert fold(results({"a": "failed", "b": "failed", "c": "failed"}), chain) == {"a": ["b", "c"]}, "up the chain"


def test_the_report_leads_with_the_cause_and_counts_what_it_folds_or_lists_it_on_demand():
    checked = dns_down()
    scored = score(CATALOG, MATRIX, checked, {})
    scored.update(seconds=9.0, criteria=criteria(CRITERIA, checked), causes=fold(checked, CAUSES), unfold=False)
    text = table(shown(scored, checked, "instructor"))
    wrong = text.split("What is still wrong:")[1].strip().splitlines()
    assert "cluster-dns-answers: cluster DNS does not answer" in wrong[0], wrong
    assert "and 41 more findings this explains (service-names-resolve, services-reach-dependencies)" in wrong[1], wrong
    assert ".backend.svc.cluster.local does not resolve" not in text, "the 40 names are folded beneath their cause"
    assert "NOT MET  functional (기능적 요구사항): every service reaches what it calls" in text, text
    assert "NOT MET  the cluster beneath the platform: every add-on runs" in text, text
    assert sum("claims-bound" in line for line in wrong) == 1
    scored["unfold"] = True
    assert table(shown(scored, checked, "instructor")).count(".backend.svc.cluster.local does not resolve") == 40
    assert "## success criteria" in markdown(shown(scored, checked, "instructor"))
    # a learner is told the symptoms, a few per check, without their cause
    learner = table(shown(scored, checked, "learner"))
    assert "and 41 more findings this explains" not in learner and "... and 36 more like these" in learner, learner
    assert learner.count("has no endpoints") == 1 + 1 + 4 + 1 + 1, learner
