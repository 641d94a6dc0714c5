"""The platform role: every CloudMart workload ready, every Service served, the shop answering at the ingress."""

from __future__ import annotations

import urllib.request

import pytest
from scenario import CONTROL_PLANE, kubectl_json

testinfra_hosts = ["ansible://control_plane"]
NAMESPACES = ["frontend", "backend", "data", "monitoring", "ingress-system"]


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_workload_is_fully_ready(host, namespace):
    workloads = kubectl_json(host, "get", "deployments,statefulsets", "--namespace", namespace)["items"]
    assert workloads, f"nothing runs in {namespace}"
    short = [w["metadata"]["name"] for w in workloads if w["status"].get("readyReplicas", 0) != w["spec"]["replicas"]]
    assert not short, f"not fully ready in {namespace}: {short}"


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_service_has_endpoints(host, namespace):
    slices = kubectl_json(host, "get", "endpointslices", "--namespace", namespace)["items"]
    served = {
        s["metadata"]["labels"]["kubernetes.io/service-name"]
        for s in slices
        if any(e["conditions"].get("ready") for e in s.get("endpoints") or [])
    }
    services = {s["metadata"]["name"] for s in kubectl_json(host, "get", "services", "--namespace", namespace)["items"]}
    assert services and services <= served, f"without a ready endpoint: {sorted(services - served)}"


def test_the_shop_answers_through_the_ingress():
    with urllib.request.urlopen(f"http://{CONTROL_PLANE['ip']}:30080/", timeout=15) as page:
        assert page.status == 200
        assert "CloudMart" in page.read().decode()
