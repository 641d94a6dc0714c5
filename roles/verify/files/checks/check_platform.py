"""The evaluation matrix beyond the scenarios: architecture (a purchase end to end, replicas,
resources), security (Secrets, NetworkPolicies) and monitoring (scrapes, dashboard, alerts)."""

from __future__ import annotations

import contextlib
import json
import re
import urllib.error
import urllib.request
from typing import Any

import pytest
from findings import Blocked
from lab import Lab, fail, fail_on, found, name_of

SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|CREDENTIAL", re.IGNORECASE)
PASSWORD_IN_URL = re.compile(r"://[^/:@\s]+:[^/@\s]+@")


def http(lab: Lab, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(lab.settings.ingress_url + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=15) as answer:
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    except (urllib.error.URLError, OSError) as err:
        fail(
            "ingress-silent",
            f"{method} {lab.settings.ingress_url}{path} gets no answer ({getattr(err, 'reason', err)})",
            f"{method} {path}",
        )
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def step(symptom: str, request: str, status: int, body: Any, expected: tuple[int, ...]) -> None:
    """One step of the purchase; `symptom` is its text in texts.yml."""
    if status not in expected:
        detail = body.get("error", body) if isinstance(body, dict) else " ".join(str(body).split())[:200]
        fail(
            symptom,
            f"the purchase through the ingress fails at {request}: HTTP {status} {detail}".strip(),
            request,
            status=status,
        )


@pytest.mark.check("purchase-through-ingress")
def test_a_customer_can_buy_through_the_ingress(lab: Lab) -> None:
    user = lab.settings.test_user
    status, body = http(lab, "POST", "/api/users", {"email": user["email"], "name": "Verify", "password": user["password"]})
    step("purchase-fails-registering", "POST /api/users", status, body, (201, 409))
    status, login = http(lab, "POST", "/api/login", {"email": user["email"], "password": user["password"]})
    step("purchase-fails-logging-in", "POST /api/login", status, login, (200,))
    status, products = http(lab, "GET", "/shop/api/products")
    step("purchase-fails-listing", "GET /shop/api/products", status, products, (200,))
    in_stock = [p for p in products if p.get("stock", 0) > 0]
    if not in_stock:
        fail("purchase-nothing-in-stock", "the purchase cannot be tried: no product is in stock")
    item = max(in_stock, key=lambda p: p["stock"])
    path = f"/api/users/{login['user_id']}/orders"
    status, order = http(lab, "POST", path, {"items": [{"product_id": item["id"], "quantity": 1}]})
    step("purchase-fails-ordering", f"POST {path}", status, order, (201,))
    if order.get("status") != "paid":
        fail("purchase-unpaid", f"the order through the ingress was placed but not paid (status {order.get('status')})", path)


@pytest.mark.check("services-replicated")
def test_every_stateless_service_survives_losing_a_pod(lab: Lab) -> None:
    budgets = lab.listed("disruption_budget")
    findings = []
    for deployment in lab.listed("deployment"):
        if deployment.metadata.namespace not in ("frontend", "backend"):
            continue
        if (deployment.spec.replicas or 0) < 2:
            findings.append(
                found(
                    "single-replica",
                    f"Deployment {name_of(deployment)} runs {deployment.spec.replicas} replica: losing its pod stops the service",
                    name_of(deployment),
                )
            )
        labels = deployment.spec.template.metadata.labels or {}
        if not any(
            b.metadata.namespace == deployment.metadata.namespace
            and b.spec.selector
            and all(labels.get(k) == v for k, v in (b.spec.selector.match_labels or {}).items())
            for b in budgets
        ):
            findings.append(
                found(
                    "no-disruption-budget",
                    f"Deployment {name_of(deployment)} has no PodDisruptionBudget: a node drain may take all its pods",
                    name_of(deployment),
                )
            )
    fail_on(findings)


@pytest.mark.check("resources-declared")
def test_every_container_declares_requests_and_a_memory_limit(lab: Lab) -> None:
    findings = []
    for workload in lab.workloads():
        for container in workload.spec.template.spec.containers:
            resources = container.resources
            requests = (resources.requests if resources else None) or {}
            limits = (resources.limits if resources else None) or {}
            missing = [f"{r} request" for r in ("cpu", "memory") if r not in requests] + (
                ["memory limit"] if "memory" not in limits else []
            )
            if missing:
                findings.append(
                    found(
                        "resources-undeclared",
                        f"container {container.name} of {name_of(workload)} declares no {', '.join(missing)}",
                        name_of(workload),
                        container=container.name,
                    )
                )
    fail_on(findings)


@pytest.mark.check("secrets-not-in-env")
def test_credentials_come_from_secrets(lab: Lab) -> None:
    findings = []
    for workload in lab.workloads():
        for container in workload.spec.template.spec.containers:
            for env in container.env or []:
                if env.value and (SECRET_NAME.search(env.name) or PASSWORD_IN_URL.search(env.value)):
                    findings.append(
                        found(
                            "credential-in-spec",
                            f"{name_of(workload)} sets {env.name} in plain text in its spec: keep it in a Secret",
                            name_of(workload),
                            variable=env.name,
                        )
                    )
    fail_on(findings)


@pytest.mark.check("network-policies-present")
def test_every_namespace_controls_its_traffic(lab: Lab) -> None:
    policed = {p.metadata.namespace for p in lab.listed("network_policy")}
    fail_on(
        [
            found("namespace-unpoliced", f"namespace {ns} has no NetworkPolicy: any pod may reach its pods", ns)
            for ns in lab.settings.namespaces
            if ns not in policed
        ]
    )


@pytest.mark.check("default-deny")
def test_every_namespace_denies_what_it_does_not_allow(lab: Lab) -> None:
    denying = {
        p.metadata.namespace
        for p in lab.listed("network_policy")
        if not (p.spec.pod_selector.match_labels or p.spec.pod_selector.match_expressions)
        and "Ingress" in (p.spec.policy_types or [])
    }
    fail_on(
        [
            found("namespace-open-by-default", f"namespace {ns} has no default-deny NetworkPolicy (all pods, Ingress)", ns)
            for ns in lab.settings.namespaces
            if ns not in denying
        ]
    )


@pytest.mark.check("services-scraped")
def test_prometheus_scrapes_every_service(lab: Lab) -> None:
    lab.require_api()
    targets = lab.scrape_targets()
    up = {(t["labels"].get("namespace"), t["labels"].get("service")) for t in targets if t["health"] == "up"}
    findings = []
    for workload in lab.listed("deployment"):
        if (
            workload.metadata.namespace in ("frontend", "backend")
            and (workload.metadata.namespace, workload.metadata.name) not in up
        ):
            findings.append(
                found(
                    "metrics-uncollected", f"Prometheus has no healthy scrape target for {name_of(workload)}", name_of(workload)
                )
            )
    fail_on(findings)


@pytest.mark.check("dashboard")
def test_the_golden_signals_dashboard_shows_every_service(lab: Lab) -> None:
    # The dashboard lists the services with a sample of `up`: a new pod's only after its first
    # scrape. The page itself is read through the ingress, with or without the API server.
    if not lab.api_state:
        with contextlib.suppress(Blocked):
            lab.scrape_targets()
    status, page = http(lab, "GET", lab.settings.prometheus["dashboard"])
    if status != 200:
        dashboard = lab.settings.prometheus["dashboard"]
        fail("dashboard-fails", f"the dashboard {dashboard} answers HTTP {status}", dashboard, status=status)
    missing = [
        w.metadata.name
        for w in lab.listed("deployment")
        if w.metadata.namespace in ("frontend", "backend") and w.metadata.name not in page
    ]
    if missing:
        fail_on(
            [
                found(
                    "dashboard-lacks", f"the dashboard does not show {name}", name, dashboard=lab.settings.prometheus["dashboard"]
                )
                for name in missing
            ]
        )


@pytest.mark.check("predictive-alerts")
def test_prometheus_alerts_before_it_breaks(lab: Lab) -> None:
    lab.require_api()
    rules = [r for g in lab.prometheus("/api/v1/rules")["groups"] for r in g["rules"] if r["type"] == "alerting"]
    if not rules:
        fail("no-alerts", "Prometheus has no alerting rule")
    if not any(fn in r["query"] for r in rules for fn in ("predict_linear(", "deriv(")):
        fail(
            "alerts-not-predictive",
            f"none of Prometheus's {len(rules)} alerting rules predicts (predict_linear, deriv): "
            "they fire only once it is broken",
            count=len(rules),
        )


@pytest.mark.check("ingress-paths")
def test_every_path_customers_and_staff_use_answers_through_the_ingress(lab: Lab) -> None:
    """Each path reaches the service meant to serve it: an unrouted path falls through to the shop's
    own page, so the answer must be that service's, not just any 200."""
    findings = []
    for path in lab.settings.ingress_paths:
        status, body = http(lab, "GET", path["path"])
        wanted = path["expect"]
        if status != 200:
            got = f"HTTP {status}"
        elif wanted == "json" and not isinstance(body, dict | list):
            got = "a page instead of the JSON its API gives"
        elif wanted != "json" and wanted not in str(body):
            title = re.search(r"<title>(.*?)</title>", str(body))
            got = f"another page ({title.group(1) if title else 'no title'})"
        else:
            continue
        findings.append(
            found(
                "path-unreachable",
                f"{path['serves']} is not reachable through the ingress: GET {path['path']} answers {got}",
                f"GET {path['path']}",
                answer=f"HTTP {status}" if status != 200 else "HTTP 200",
            )
        )
    fail_on(findings)
