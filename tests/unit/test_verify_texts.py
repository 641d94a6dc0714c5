"""What verify tells a learner: every symptom and every word of the report is written in each of
the lab's languages, and no symptom text carries a value of the scenario catalog."""

from __future__ import annotations

import ast
import re
import sys

import pytest

from cloudmart_lab.paths import REPO
from tests.lab.leaks import found_in, injected_tokens

CHECKS = REPO / "roles" / "verify" / "files" / "checks"
sys.path.insert(0, str(CHECKS))
sys.path.insert(0, str(REPO / ".ansible" / "collections"))

from ansible_collections.cloudmart.lab.plugins.module_utils import scenario_catalog  # noqa: E402
from findings import LANGUAGES, placeholders, texts  # noqa: E402

CATALOG = scenario_catalog.load()


def keys_used(*callers: str) -> set[str]:
    """The first argument of every call of these functions in the checks, all of which must be literal."""
    used: set[str] = set()
    for path in CHECKS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in callers and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    used.add(first.value)
    return used


def symptom_keys() -> set[str]:
    used = keys_used("found", "fail", "Symptom", "step")
    # a probe's symptom depends on the probe's kind (check_workloads.py names the three)
    used |= set(re.findall(r'"(probe-fails-[a-z]+)"', (CHECKS / "check_workloads.py").read_text()))
    return used


def test_every_symptom_a_check_names_is_written_in_every_language_with_the_same_placeholders():
    written = texts()["symptoms"]
    missing = sorted(symptom_keys() - set(written))
    assert not missing, f"symptoms the checks name that texts.yml lacks: {missing}"
    for key, said in written.items():
        assert sorted(said) == sorted(LANGUAGES), f"{key} is written in {sorted(said)}"
        assert len({frozenset(placeholders(text)) for text in said.values()}) == 1, f"{key}: placeholders differ {said}"


def test_every_word_of_the_report_is_written_in_every_language():
    report = texts()["report"]
    used = keys_used("words") | {f"level-{level}" for level in ("none", "basic", "root", "prevention")}
    used |= set(re.findall(r'words\(\s*"([a-z_-]+)"', (CHECKS / "report.py").read_text()))
    used |= {"still_wrong", "beyond_repairs", "col-scenario", "col-points", "col-level", "col-time", "col-failing"}
    assert not sorted(used - set(report)), sorted(used - set(report))
    for key, said in report.items():
        assert sorted(said) == sorted(LANGUAGES), f"{key} is written in {sorted(said)}"


def every_wrong_value() -> list[dict[str, object]]:
    """The values of the seed document and of every variant, one plan per variant index."""
    faults = [fault for scenario in CATALOG for fault in scenario["faults"]]
    longest = max(len(fault["variants"]) for fault in faults)
    plans = [{fault["id"]: fault["seed"] for fault in faults}]
    plans += [{fault["id"]: fault["variants"][i % len(fault["variants"])] for fault in faults} for i in range(longest)]
    return plans


@pytest.mark.parametrize("values", every_wrong_value(), ids=lambda v: "plan")
def test_no_symptom_text_carries_a_value_the_catalog_injects(values):
    tokens = injected_tokens(CATALOG, values)
    for key, said in texts()["symptoms"].items():
        for language, text in said.items():
            assert not found_in(text, tokens), f"{key} ({language}) says {found_in(text, tokens)}"


def test_the_scan_finds_each_form_a_value_takes():
    values = {fault["id"]: fault["seed"] for scenario in CATALOG for fault in scenario["faults"]}
    tokens = injected_tokens(CATALOG, values)
    said = "targetPort 3000; selector version=v2; class fast-ssd-nonexistent; 10Ti; image order-service:v2.1-broken"
    assert found_in(said, tokens) == sorted(["3000", "version=v2", "fast-ssd-nonexistent", "10Ti", "order-service:v2.1-broken"])
    # the healthy values and the platform's own names are not secrets
    assert found_in("Service backend/user-service port 8080 on StorageClass standard, ReadWriteOnce, 30000 ms", tokens) == []
    # the name that does not resolve is the symptom itself
    assert found_in("payment-service.backend.svc.cluster.local does not resolve", tokens) == []
