"""The cluster beneath the platform: its add-ons run, the APIs the lab relies on are served (metrics,
DNS, storage, NetworkPolicy), and every node runs kube-proxy. A finding names the component."""

from __future__ import annotations

from typing import Any

import pytest
from findings import Symptom
from kubernetes.client.rest import ApiException
from lab import Blocked, Lab, fail, fail_on, found, ready

# What each add-on is, as a person names it: the finding leads with it.
COMPONENTS = {
    "coredns": "cluster DNS",
    "kube-proxy": "Service routing (kube-proxy)",
    "kube-flannel-ds": "the pod network (flannel)",
    "kube-network-policies": "NetworkPolicy enforcement (kube-network-policies)",
    "local-path-provisioner": "the storage provisioner of StorageClass standard",
    "metrics-server": "the metrics API (metrics-server)",
}
# The probes' outcomes are read within this many seconds of a check asking.
PROBE_PATIENCE = 60
DNS_NAME = "kubernetes.default.svc.cluster.local"


def component(name: str) -> str:
    return COMPONENTS.get(name, name)


def available(workload: Any) -> tuple[int, int]:
    """(running and available, wanted) of a Deployment or a DaemonSet."""
    status = workload.status
    if workload.kind == "DaemonSet":
        return status.number_available or 0, status.desired_number_scheduled or 0
    return status.available_replicas or 0, workload.spec.replicas if workload.spec.replicas is not None else 1


def shortfall(workload: Any) -> str | None:
    """What an add-on lacks, or None when it runs in full. An add-on scaled to nothing is down,
    however content its Deployment is."""
    have, want = available(workload)
    where = f"{workload.kind} {workload.metadata.namespace}/{workload.metadata.name}"
    if workload.kind == "Deployment" and want == 0:
        return f"{where} is scaled to 0 replicas"
    return f"{where} runs {have} of {want} pods" if have < want else None


@pytest.mark.check("addons-available")
def test_every_add_on_of_the_cluster_runs(lab: Lab) -> None:
    findings = [
        found(
            "addon-down",
            f"{component(workload.metadata.name)} is down: {lacking}",
            f"{workload.metadata.namespace}/{workload.metadata.name}",
            component=workload.metadata.name,
            have=available(workload)[0],
            want=available(workload)[1],
        )
        for workload in lab.system_workloads()
        if (lacking := shortfall(workload))
    ]
    fail_on(findings)


@pytest.mark.check("metrics-api-served")
def test_the_metrics_api_answers_for_every_node(lab: Lab) -> None:
    lab.require_api()
    try:
        usage = lab.custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes", _request_timeout=10)
    except ApiException as err:
        fail(
            "metrics-unanswered",
            f"the metrics API does not answer, so kubectl top fails ({err.status} {err.reason}): see metrics-server",
        )
    reported = {item["metadata"]["name"] for item in usage.get("items", [])}
    missing = [node for node in lab.settings.nodes if node not in reported]
    if missing:
        fail(
            "metrics-missing",
            f"the metrics API has no figures for node {', '.join(missing)} (kubectl top nodes): see metrics-server",
            ", ".join(missing),
        )


@pytest.mark.check("cluster-dns-answers")
def test_cluster_dns_answers_from_a_pod(lab: Lab) -> None:
    """A name that always exists (the API server's Service), asked from the checks' own probe pod:
    when this fails, every Service name fails with it, whatever the names."""
    lab.require_api()
    dns = lab.core.read_namespaced_service("kube-dns", "kube-system", _request_timeout=10)
    asked = ["sh", "-c", f"timeout 5 getent hosts {DNS_NAME} || echo UNRESOLVED"]
    probes = lab.probes()
    output = probes.ask(asked, timeout=PROBE_PATIENCE)
    if output is None and probes.policy.problems:
        raise Blocked(
            f"the checks' probe pod to ask cluster DNS from could not be made: {probes.policy.problems[0].diagnosis}",
            Symptom("probe-failed"),
        )
    if output is None:
        raise Blocked(
            f"the checks' probe pod did not start within {PROBE_PATIENCE}s to ask cluster DNS from",
            Symptom("probe-pod-late", {"seconds": PROBE_PATIENCE}),
        )
    if "UNRESOLVED" not in output:
        return
    lab.dns_down = True
    coredns = next((w for w in lab.system_workloads() if w.metadata.name == "coredns"), None)
    lacking = shortfall(coredns) if coredns is not None else None
    why = f"; {lacking}" if lacking else ""
    fail(
        "cluster-dns-silent",
        f"cluster DNS does not answer: {DNS_NAME} does not resolve from a pod "
        f"(Service kube-system/kube-dns, {dns.spec.cluster_ip}){why}",
        DNS_NAME,
    )


@pytest.mark.check("storage-provisioner-answers")
def test_a_new_claim_gets_a_volume(lab: Lab) -> None:
    outcome = lab.probes().storage
    if not outcome.wait(PROBE_PATIENCE):
        fail("new-claim-unbound", f"the storage probe did not end within {PROBE_PATIENCE}s: a new claim gets no volume")
    fail_on(outcome.problems)


@pytest.mark.check("network-policy-enforced")
def test_a_network_policy_keeps_pods_apart(lab: Lab) -> None:
    outcome = lab.probes().policy
    if not outcome.wait(PROBE_PATIENCE):
        fail("probe-late", f"the NetworkPolicy probe did not end within {PROBE_PATIENCE}s", seconds=PROBE_PATIENCE)
    fail_on(outcome.problems)


@pytest.mark.check("kube-proxy-on-every-node")
def test_every_node_routes_services(lab: Lab) -> None:
    """Each node runs kube-proxy, and its health endpoint answers there: without it, the node's pods
    reach no Service."""
    findings = []
    pods = [p for p in lab.system_pods() if (p.metadata.labels or {}).get("k8s-app") == "kube-proxy"]
    for node in lab.settings.nodes:
        on_node = [p for p in pods if p.spec.node_name == node]
        if not any(ready(p) for p in on_node):
            state = "runs no kube-proxy pod" if not on_node else "has no ready kube-proxy pod"
            findings.append(
                found(
                    "kube-proxy-down",
                    f"{component('kube-proxy')} is down on node {node}: it {state}, so its pods reach no Service",
                    node,
                )
            )
            continue
        answer = lab.host(node).run("curl -s --max-time 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:10256/healthz")
        if answer.stdout.strip() != "200":
            said = answer.stdout.strip() or "nothing"
            findings.append(
                found(
                    "kube-proxy-unhealthy",
                    f"{component('kube-proxy')} on node {node} is unhealthy: 127.0.0.1:10256/healthz answers {said}",
                    node,
                    said=said,
                )
            )
    fail_on(findings)
