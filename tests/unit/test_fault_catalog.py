"""The scenario catalog (roles/faults/vars/main.yml) and how a lab's wrong values are chosen from it."""

from __future__ import annotations

import sys

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from cloudmart_lab.paths import REPO

sys.path.insert(0, str(REPO / ".ansible" / "collections"))

from ansible_collections.cloudmart.lab.plugins.filter.faults import chosen_scenarios, fault_plan

CATALOG = yaml.safe_load((REPO / "roles/faults/vars/main.yml").read_text())["faults_catalog"]
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
        assert scenario["symptoms"] and scenario["repair"] and len(scenario["hints"]) >= 3, scenario["name"]


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
