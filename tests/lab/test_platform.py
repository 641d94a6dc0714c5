"""CloudMart on the lab: every workload ready, a purchase through the ingress lands in every store,
the web frontend renders the catalogue in a real browser, and Prometheus sees every service."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest

from tests.lab.cloudmart import CloudMart
from tests.lab.cluster import PLATFORM_NAMESPACES, Cluster, eventually


@pytest.fixture(scope="module")
def shop(lab: Cluster) -> CloudMart:
    # The fault rounds before this module took the API server away; a controller that exited then
    # may still be in its restart back-off.
    lab.wait_until_settled()
    return CloudMart(lab)


def test_every_platform_pod_is_ready_and_every_service_has_endpoints(lab: Cluster, shop: CloudMart):
    for namespace in PLATFORM_NAMESPACES:
        pods = lab.core.list_namespaced_pod(namespace).items
        assert pods, f"no pod in {namespace}"
        for pod in pods:
            ready = {c.type: c.status for c in pod.status.conditions or []}.get("Ready")
            assert pod.status.phase == "Running" and ready == "True", f"{namespace}/{pod.metadata.name} not ready"
        for service in lab.core.list_namespaced_service(namespace).items:
            slices = lab.discovery.list_namespaced_endpoint_slice(
                namespace, label_selector=f"kubernetes.io/service-name={service.metadata.name}"
            ).items
            ready = [e for s in slices for e in s.endpoints or [] if e.conditions.ready]
            assert ready, f"Service {namespace}/{service.metadata.name} has no ready endpoint"
    deployed = {(d.metadata.namespace, d.metadata.name) for d in lab.apps.list_deployment_for_all_namespaces().items}
    for service in shop.services:
        assert (service["namespace"], service["name"]) in deployed


def test_a_purchase_through_the_ingress_lands_in_every_store(shop: CloudMart):
    email = f"buyer-{uuid.uuid4().hex[:8]}@cloudmart.example"
    created = shop.http("POST", "/api/users", {"email": email, "name": "Lab Buyer", "password": "s3cret-pass"})
    assert created.status == 201, created
    login = shop.http("POST", "/api/login", {"email": email, "password": "s3cret-pass"})
    assert login.status == 200 and login.body["token"], login
    user_id = login.body["user_id"]

    products = shop.http("GET", "/shop/api/products")
    assert products.status == 200 and len(products.body) >= 10, products
    in_stock = [p for p in products.body if p["stock"] >= 2]
    first, second = in_stock[0], in_stock[1]

    order = shop.http(
        "POST",
        f"/api/users/{user_id}/orders",
        {"items": [{"product_id": first["id"], "quantity": 2}, {"product_id": second["id"], "quantity": 1}]},
    )
    assert order.status == 201, order
    assert order.body["status"] == "paid" and order.body["payment_id"], order.body
    expected_total = round(2 * float(first["price"]) + float(second["price"]), 2)
    assert round(float(order.body["total"]), 2) == expected_total

    # The order and its items, in the order database, written together.
    order_id = int(order.body["id"])
    rows = shop.sql("orderdb", f"SELECT user_id, status, total, payment_id FROM orders WHERE id = {order_id}")
    assert rows and rows[0][0] == str(user_id) and rows[0][1] == "paid" and rows[0][3] == order.body["payment_id"], rows
    assert round(float(rows[0][2]), 2) == expected_total
    items = shop.sql("orderdb", f"SELECT product_id, quantity FROM order_items WHERE order_id = {order_id}")
    assert sorted((p, int(q)) for p, q in items) == sorted([(first["id"], 2), (second["id"], 1)])

    # The user, in the user database; the stock, decremented at the product service.
    assert shop.sql("userdb", f"SELECT count(*) FROM users WHERE email = '{email}'") == [["1"]]
    after = shop.http("GET", f"/shop/api/products/{first['id']}")
    assert after.body["stock"] == first["stock"] - 2, after

    # The payment's message, consumed from RabbitMQ by the notification service.
    def notified() -> bool:
        return any(
            line.get("msg") == "notification sent" and str(line.get("order_id")) == str(order.body["id"])
            for line in shop.logs("backend", "app=notification-service")
        )

    eventually(notified, timeout=60, what=f"notification-service logs the notification of order {order.body['id']}")
    queue = shop.queue("notifications")
    assert queue["consumers"] >= 1 and queue["ready"] == 0 and queue["unacknowledged"] == 0, queue

    history = shop.http("GET", f"/api/users/{user_id}/orders")
    assert history.status == 200 and any(o["id"] == order.body["id"] for o in history.body), history


def test_the_web_frontend_shows_the_seeded_products_in_chromium(shop: CloudMart):
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is not installed (make host installs it)"
    products = shop.http("GET", "/shop/api/products").body
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
        "--virtual-time-budget=15000",
    ]
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run(
            [chromium, *flags, f"--user-data-dir={profile}", "--dump-dom", shop.base_url + "/"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
    cards = re.findall(r'data-testid="product"', dom)
    assert len(cards) == len(products), f"{len(cards)} product cards rendered for {len(products)} products"
    for product in products:
        assert product["name"] in dom.replace("&amp;", "&")
    screenshot = shop.artifacts() / f"web-frontend-{time.strftime('%Y%m%d-%H%M%S')}.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [chromium, *flags, f"--user-data-dir={profile}", f"--screenshot={screenshot}", shop.base_url + "/"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    assert screenshot.stat().st_size > 10_000
    print(f"screenshot of the web frontend: {screenshot}")


def test_prometheus_sees_every_service_and_their_traffic(shop: CloudMart):
    wanted = {service["name"] for service in shop.services}

    def every_service_up() -> set[str]:
        up = {r["metric"]["service"] for r in shop.prometheus('up{job="cloudmart-services"} == 1')}
        return up if up >= wanted else set()

    eventually(every_service_up, timeout=120, interval=5, what="an up target for every service")
    for job in ("kube-state-metrics", "kubelet", "cadvisor", "cloudmart-data", "cloudmart-ferretdb"):
        assert shop.prometheus(f'up{{job="{job}"}} == 1'), f"no target of {job} is up"
    for path in ("/shop/api/products", "/api/users/1", "/admin/"):
        shop.http("GET", path)

    def request_rate() -> list[dict]:
        return shop.prometheus('sum by (service) (rate(http_requests_total{service="product-service"}[2m])) > 0')

    eventually(request_rate, timeout=120, interval=5, what="a request rate for product-service")
    dashboard = shop.http("GET", "/prometheus/consoles/cloudmart.html")
    assert dashboard.status == 200
    for service in wanted:
        assert f'data-service="{service}"' in dashboard.body, f"the dashboard has no row for {service}"


def test_the_objects_the_seed_breaks_start_healthy_as_the_seed_expects(lab: Cluster):
    """The seed's faults change only some fields of these objects; the rest must be what it assumes."""
    for name in ("user-service", "product-service"):
        service = lab.core.read_namespaced_service(name, "backend")
        assert service.spec.selector == {"app": name}
        assert [(p.port, p.target_port) for p in service.spec.ports] == [(8080, 8080)]
    pods = lab.core.list_namespaced_pod("backend", label_selector="app=user-service").items
    assert pods, "no user-service pod"
    for pod in pods:
        assert pod.metadata.labels.get("version") not in (None, "v2")

    order = lab.apps.read_namespaced_deployment("order-service", "backend")
    assert order.spec.replicas == 5 and order.status.available_replicas == 5
    assert {"app", "version"} <= set(order.spec.template.metadata.labels)
    rolling = order.spec.strategy.rolling_update
    assert order.spec.strategy.type == "RollingUpdate" and str(rolling.max_unavailable) == "0"
    container = order.spec.template.spec.containers[0]
    assert [p.container_port for p in container.ports] == [8080]
    assert container.liveness_probe.http_get.path == "/health" and container.readiness_probe.http_get.path == "/ready"
    assert container.liveness_probe.timeout_seconds >= 3
    memory = container.resources.requests["memory"]
    assert memory.endswith("Mi") and int(memory[:-2]) <= 128, f"order-service requests {memory}: not modest"

    for claim in ("postgres-data", "mongodb-data"):
        pvc = lab.core.read_namespaced_persistent_volume_claim(claim, "data")
        assert pvc.spec.access_modes == ["ReadWriteOnce"] and pvc.spec.storage_class_name == "standard"
        assert pvc.status.phase == "Bound"
