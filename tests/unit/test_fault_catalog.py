"""The scenario catalog (plugins/module_utils/scenario_catalog.yml), its loader, and how a lab's
wrong values are chosen from it."""

from __future__ import annotations

import copy
import re
import sys

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from cloudmart_lab.paths import REPO

sys.path.insert(0, str(REPO / ".ansible" / "collections"))

from ansible_collections.cloudmart.lab.plugins.filter.faults import chosen_scenarios, fault_plan, scenario_order
from ansible_collections.cloudmart.lab.plugins.module_utils import scenario_catalog
from ansible_collections.cloudmart.lab.plugins.module_utils.scenario_catalog import CatalogError

CATALOG = scenario_catalog.load()
FAULTS_TASKS = REPO / "roles" / "faults" / "tasks"
PLATFORM = yaml.safe_load((REPO / "roles/platform/defaults/main.yml").read_text())


def values(plan):
    return {fault["id"]: fault["value"] for scenario in plan for fault in scenario["faults"]}


def test_the_four_scenarios_of_the_seed_with_their_time_boxes_and_points():
    assert [(s["name"], s["time_box_minutes"]) for s in CATALOG] == [
        ("control-plane", 25),
        ("networking", 25),
        ("storage", 20),
        ("deployment", 20),
    ]
    assert sum(s["points"] for s in CATALOG) == 100
    for scenario in CATALOG:
        assert scenario["symptoms"]["ko"] and scenario["repair"]["ko"] and scenario["debrief"]["ko"], scenario["name"]
        # two tiers written out, the last chosen from the root-level checks that still fail
        root = set(scenario["checks"]["root"])
        assert len(scenario["hints"]) == 2 and root <= set(scenario["check_hints"]), scenario["name"]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda s: s["title"].pop("ko"), "scenario networking: title is written in each of en, ko, and only those"),
        (lambda s: s["hints"][1].update(ko=""), "scenario networking: hint 2 in ko is one text"),
        (lambda s: s["repair"].update(ko="one text"), "scenario networking: repair in ko is a list of texts"),
        (lambda s: s["check_hints"].update(x={"en": "e", "ko": "k"}), "check_hints names x, which is not one of its checks"),
        (lambda s: s["debrief"].update(fr="texte"), "scenario networking: debrief is written in each of en, ko"),
    ],
)
def test_the_loader_refuses_a_learners_text_missing_a_language(change, error):
    catalog = copy.deepcopy(CATALOG)
    change(catalog[1])
    with pytest.raises(scenario_catalog.CatalogError, match=re.escape(error)):
        scenario_catalog.check(catalog)


def test_without_a_lab_seed_every_fault_has_the_seed_documents_value():
    got = values(fault_plan(CATALOG))
    assert got["etcd-servers"] == "https://127.0.0.1:2380" and got["secure-port"] == "6444"
    assert got["user-service-target-port"] == 3000
    assert got["user-service-selector"] == {"app": "user-service", "version": "v2"}
    assert got["product-service-selector"] == {"app": "wrong-product-service"}
    assert got["postgres-data"] == {"storage_class": "fast-ssd-nonexistent", "size": "10Ti", "access_modes": ["ReadWriteOnce"]}
    assert got["mongodb-data"] == {"storage_class": "standard", "size": "100Gi", "access_modes": ["ReadWriteMany"]}
    assert got["rollout-strategy"] == {"maxSurge": "0%", "maxUnavailable": "100%"}
    assert got["broken-image"] == "order-service:v2.1-broken"
    assert got["impossible-requests"] == {"cpu": "2000m", "memory": "4Gi"}
    assert got["probe-timeout"]["timeoutSeconds"] == 1


def test_a_lab_seed_picks_variants_reproducibly_and_learners_differ():
    seed_values = values(fault_plan(CATALOG))
    first = values(fault_plan(CATALOG, None, "learner01"))
    assert first == values(fault_plan(CATALOG, None, "learner01"))
    assert all(first[key] != seed_values[key] for key in first)
    others = [values(fault_plan(CATALOG, None, f"learner{n:02}")) for n in range(2, 8)]
    assert any(other != first for other in others)


def test_every_wrong_value_is_really_wrong():
    for scenario in CATALOG:
        for fault in scenario["faults"]:
            for wrong in [fault["seed"], *fault["variants"]]:
                assert wrong != fault.get("healthy"), fault["id"]


def test_the_probe_fault_is_shorter_than_health_and_the_healthy_probe_well_above_it():
    order = next(s for s in PLATFORM["platform_services"] if s["name"] == "order-service")
    latency = float(order["env"]["HEALTH_CHECK_LATENCY"].removesuffix("ms")) / 1000
    probe = next(f for s in CATALOG for f in s["faults"] if f["id"] == "probe-timeout")
    assert all(p["timeoutSeconds"] < latency for p in [probe["seed"], *probe["variants"]])
    assert order["liveness_timeout"] >= 2 * latency


@pytest.mark.parametrize("scenarios", [["networking", "typo"], "storage,nope"])
@pytest.mark.parametrize("choose", [fault_plan, chosen_scenarios])
def test_an_unknown_scenario_is_refused_with_the_known_names(choose, scenarios):
    known = "choose from control-plane, networking, storage, deployment"
    with pytest.raises(AnsibleFilterError, match=rf"unknown scenario (typo|nope): {known}"):
        choose(CATALOG, scenarios)


def test_verify_scores_the_chosen_scenarios_as_the_catalog_defines_them():
    assert chosen_scenarios(CATALOG, "control-plane") == [CATALOG[0]]
    assert chosen_scenarios(CATALOG, None) == CATALOG


def test_scenarios_come_as_a_list_or_a_comma_separated_string_in_catalog_order():
    assert [s["name"] for s in fault_plan(CATALOG, "deployment, networking")] == ["networking", "deployment"]
    assert [s["name"] for s in fault_plan(CATALOG, [])] == [s["name"] for s in CATALOG]


def test_every_strategy_removes_every_order_service_pod_at_once():
    replicas = next(s for s in PLATFORM["platform_services"] if s["name"] == "order-service")["replicas"]
    strategy = next(f for s in CATALOG for f in s["faults"] if f["id"] == "rollout-strategy")
    for wrong in [strategy["seed"], *strategy["variants"]]:
        unavailable = str(wrong["maxUnavailable"])
        # Kubernetes rounds a percentage of maxUnavailable down
        removed = int(unavailable[:-1]) * replicas // 100 if unavailable.endswith("%") else int(unavailable)
        assert removed >= replicas and str(wrong["maxSurge"]) in ("0", "0%"), wrong


def test_the_loader_reads_the_one_catalog_and_checks_its_shape(tmp_path):
    assert [s["name"] for s in CATALOG] == ["control-plane", "networking", "storage", "deployment"]
    broken = tmp_path / "catalog.yml"
    for text, message in [
        ("scenarios: []", "has no list of scenarios"),
        ("scenarios: [{name: x}]", "scenario x lacks title"),
        ("{{{", "cannot read the scenario catalog"),
    ]:
        broken.write_text(text)
        with pytest.raises(CatalogError, match=message):
            scenario_catalog.load(broken)


def mutated(change):
    catalog = copy.deepcopy(CATALOG)
    change(catalog)
    return catalog


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c[1]["faults"][0].update(kind="dns_typo"), "fault user-service-target-port: unknown kind dns_typo"),
        (lambda c: c[1]["faults"][0].pop("service"), "a service_target_port fault needs service"),
        (lambda c: c[1]["faults"][0].update(variants=[]), "needs at least one variant"),
        (lambda c: c[1]["faults"][0].update(seed=8080), "a wrong value equals the healthy one"),
        (lambda c: c[2]["faults"][1].update(id="postgres-data"), "the id is used twice"),
        (lambda c: c[3]["faults"][0].update(field="replicas"), "a rollout fault changes one of"),
        (lambda c: c[0].update(order={"break": 1}), "order must give a place for break and solve"),
        (lambda c: c[0]["after_solve"].append({"wait": "sleep"}), "unknown wait sleep"),
        (lambda c: c[3]["after_solve"][0].pop("deployment"), "the wait rollout_complete lacks deployment"),
        (lambda c: c.append(copy.deepcopy(c[0])), "scenario control-plane is defined twice"),
        (lambda c: c[0]["checks"].update(extra=["x"]), "checks are grouped by level"),
        (lambda c: c[0].update(takes_the_api_down="yes"), "takes_the_api_down is true or false"),
    ],
)
def test_a_wrong_catalog_is_refused_with_one_line_naming_what_is_wrong(change, message):
    with pytest.raises(CatalogError, match=message):
        scenario_catalog.check(mutated(change))


def test_every_kind_and_wait_has_its_task_file_and_every_task_file_its_kind():
    kinds = {path.stem for path in (FAULTS_TASKS / "kinds").glob("*.yml")}
    waits = {path.stem for path in (FAULTS_TASKS / "waits").glob("*.yml")}
    assert kinds == set(scenario_catalog.KINDS)
    assert waits == set(scenario_catalog.WAITS)
    used = {fault["kind"] for scenario in CATALOG for fault in scenario["faults"]}
    assert used == kinds, "a kind no scenario uses is dead code"


def test_the_api_server_breaks_last_and_is_repaired_first():
    assert [s["name"] for s in scenario_order(CATALOG, "break")][-1] == "control-plane"
    assert next(s["name"] for s in scenario_order(CATALOG, "solve")) == "control-plane"
    others = [s["name"] for s in scenario_order(CATALOG, "break")][:-1]
    assert others == ["networking", "storage", "deployment"], "the catalog's order among equals"
    with pytest.raises(AnsibleFilterError, match="unknown action undo"):
        scenario_order(CATALOG, "undo")


QUANTITY = r"\d+(\.\d+)?(m|Mi|Gi|Ti)?"


def assert_kind_value(fault, value):
    """The shape of a planned value that the fault's kind file hands to its module."""
    kind = fault["kind"]
    if kind == "static_pod_flag":
        assert isinstance(value, str) and value, fault["id"]
    elif kind == "service_target_port":
        assert isinstance(value, int) and 0 < value < 65536, fault["id"]
    elif kind in ("service_selector", "network_policy"):
        assert value and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()), fault["id"]
    elif kind == "dns_nxdomain":
        assert value.endswith(".svc.cluster.local") and value.count(".") == 4, fault["id"]
    elif kind == "claim":
        assert set(value) == {"storage_class", "size", "access_modes"}, fault["id"]
        assert re.fullmatch(QUANTITY, value["size"]) and value["access_modes"], fault["id"]
    elif kind == "rollout" and fault["field"] == "strategy":
        assert set(value) == {"maxSurge", "maxUnavailable"}, fault["id"]
    elif kind == "rollout" and fault["field"] == "image":
        assert isinstance(value, str) and ":" in value, fault["id"]
    elif kind == "rollout" and fault["field"] == "requests":
        assert set(value) == {"cpu", "memory"} and all(re.fullmatch(QUANTITY, str(v)) for v in value.values()), fault["id"]
    elif kind == "rollout" and fault["field"] == "liveness":
        assert value["timeoutSeconds"] >= 1 and {"periodSeconds", "initialDelaySeconds"} <= set(value), fault["id"]
    else:
        raise AssertionError(f"no expectation for the kind {kind}")


@pytest.mark.parametrize("lab_seed", [None, "learner01", "learner02", "learner03"])
def test_each_kinds_plan_gives_values_its_task_file_can_use(lab_seed):
    for scenario in fault_plan(CATALOG, None, lab_seed):
        for fault in scenario["faults"]:
            assert_kind_value(fault, fault["value"])
            if "healthy" in fault:
                assert_kind_value(fault, fault["healthy"])
