"""The seed's scenarios 2-4 as a learner meets them, then the reference repair.

Each test asks the cluster what a learner would see (kubectl on the control-plane node), not
whether the role wrote the values it meant to: no endpoints behind the routed Services, claims
that stay Pending, an order Deployment with no capacity. The last test runs solve.yml and asks
for the healthy platform back.
"""

from __future__ import annotations

import json
from typing import Any

from scenario import STATE, kubectl_json, playbook

from cloudmart_lab.waiting import eventually

testinfra_hosts = ["ansible://control_plane"]
BROKEN = ["networking", "storage", "deployment"]
NAMESPACES = ["frontend", "backend", "data", "monitoring", "ingress-system"]
CLAIMS = {"postgres-data": "postgres-user", "mongodb-data": "ferretdb"}


def addresses(host: Any, namespace: str, service: str) -> list[str]:
    found = kubectl_json(host, "get", "endpoints", service, "-n", namespace)
    return [a["ip"] for subset in found.get("subsets") or [] for a in subset.get("addresses") or []]


def phases(host: Any, namespace: str, selector: str) -> list[str]:
    pods = kubectl_json(host, "get", "pods", "-n", namespace, "-l", selector)["items"]
    return [pod["status"]["phase"] for pod in pods]


def claim_phase(host: Any, claim: str) -> str:
    return kubectl_json(host, "get", "pvc", claim, "-n", "data")["status"]["phase"]


def order_service(host: Any) -> dict[str, Any]:
    return kubectl_json(host, "get", "deployment", "order-service", "-n", "backend")["status"]


def unready_pods(host: Any) -> list[str]:
    unready = []
    for namespace in NAMESPACES:
        for pod in kubectl_json(host, "get", "pods", "-n", namespace)["items"]:
            if pod["status"].get("phase") == "Succeeded":
                continue  # a finished seed job
            ready = any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))
            if not ready:
                unready.append(f"{namespace}/{pod['metadata']['name']}")
    return unready


def test_the_routed_services_reach_no_pod(host):
    for service in ("user-service", "product-service"):
        assert addresses(host, "backend", service) == [], f"{service} still has endpoints"


def test_the_databases_wait_on_claims_that_cannot_bind(host):
    for claim, app in CLAIMS.items():
        assert claim_phase(host, claim) == "Pending"
        eventually(lambda app=app: phases(host, "data", f"app={app}") == ["Pending"], timeout=120, what=f"{app} Pending")


def test_order_service_lost_all_capacity_and_cannot_schedule_more(host):
    eventually(lambda: not order_service(host).get("availableReplicas"), timeout=120, what="no order-service pod available")
    events = kubectl_json(host, "get", "events", "-n", "backend", "--field-selector", "reason=FailedScheduling")["items"]
    messages = " ".join(e["message"] for e in events if e["involvedObject"]["name"].startswith("order-service"))
    assert "Insufficient" in messages, messages


def test_solve_returns_a_healthy_platform(host):
    # (one test: testinfra runs the tests that take no host after the others)
    assert sorted(json.loads((STATE / "faults.json").read_text())) == sorted(BROKEN), "the breaks are recorded"
    solved = playbook("solve.yml")
    assert solved.returncode == 0, solved.stdout[-3000:]
    assert json.loads((STATE / "faults.json").read_text()) == {}
    for service in ("user-service", "product-service"):
        eventually(lambda service=service: addresses(host, "backend", service), timeout=300, what=f"{service} endpoints")
    assert all(claim_phase(host, claim) == "Bound" for claim in CLAIMS)
    eventually(lambda: order_service(host).get("availableReplicas") == 5, timeout=600, what="5 order-service pods available")
    eventually(lambda: not unready_pods(host), timeout=600, what="every CloudMart pod Ready", interval=10)
