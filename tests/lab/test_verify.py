"""verify.yml on the real lab: full marks when healthy, faults no scenario injects caught and
named, and order-service repaired one fault at a time. (The break/verify/solve/verify loop runs
in test_faults.py; an unreachable cluster in tests/unit/test_playbook_errors.py.)"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from kubernetes import client

from cloudmart_lab.runner import run_playbook
from tests.lab.cluster import Cluster, eventually
from tests.lab.verification import INSTRUCTOR, REPORTS, verify

pytestmark = pytest.mark.usefixtures("repaired_afterwards")


@pytest.fixture(scope="module")
def settled(lab: Cluster) -> Cluster:
    lab.wait_until_settled()
    return lab


def test_a_healthy_lab_scores_full_marks_within_30_seconds_and_nothing_changes(settled: Cluster):
    result = verify()
    assert result.run.ok and result.report["score"] == 100, f"{result}\n{result.run.failures}"
    assert result.run.changed == 0, result.run.changed_tasks
    assert result.report["seconds"] < 30, f"verify took {result.report['seconds']}s"
    assert result.report["criteria"] and all(c["met"] for c in result.report["criteria"]), result
    left = [n.metadata.name for n in settled.core.list_namespace().items if n.metadata.name.startswith("cloudmart-verify-")]
    assert all(n.status.phase == "Terminating" for n in settled.core.list_namespace().items if n.metadata.name in left), left
    assert all(s["level"] == "prevention" and s["minutes"] is None for s in result.report["scenarios"])
    suite = ET.parse(INSTRUCTOR / "verify.xml").getroot()
    assert int(suite.get("tests")) == len(result.report["checks"]) and int(suite.get("failures")) == len(result.not_passed())
    learner = ET.parse(REPORTS / "verify.xml").getroot()
    assert [case.get("name") for case in learner][:4] == ["points"] * 4, "the learner's JUnit names no check"
    markdown = (REPORTS / "verify.md").read_text()
    assert markdown.startswith("# CloudMart Lab verification: 100 / 100") and "문제 해결" in markdown
    assert result.learner and "checks" not in result.learner and result.learner["score"] == 100
    matrix = {row["name"]: row for row in result.report["matrix"]}
    assert matrix["problem-solving"]["earned"] == 100 and matrix["monitoring"]["level"] == "prevention", matrix
    assert matrix["architecture"]["level"] == "prevention", result
    # the baseline has no NetworkPolicy: the matrix's security row says so, the score does not count it
    assert matrix["security"]["level"] == "basic" and result.outcome("default-deny") == "failed"

    checked = run_playbook("verify.yml", check=True)
    assert checked.ok and checked.changed == 0, checked.failures


def scale(lab: Cluster, namespace: str, name: str, replicas: int) -> None:
    lab.apps.patch_namespaced_deployment_scale(name, namespace, {"spec": {"replicas": replicas}})


def first_finding(result) -> str:
    wrong = str(result).split("What is still wrong:")[1].strip().splitlines()
    return wrong[0]


def test_faults_no_scenario_injects_are_caught_and_named(settled: Cluster):
    """A Service's targetPort renamed, a ConfigMap Prometheus needs deleted, cluster DNS scaled to
    zero and a store's Service sent to a closed port, found in one run, cluster DNS leading with the
    names it explains folded beneath it; once repaired, a worker's kubelet stopped."""
    ports = {"spec": {"ports": [{"name": "http", "port": 8080, "targetPort": "web"}]}}
    saved = settled.core.read_namespaced_config_map("prometheus-config", "monitoring")
    redis_ports = settled.api.sanitize_for_serialization(settled.core.read_namespaced_service("redis", "data").spec.ports)
    closed = [{**port, "targetPort": 6390} if port["port"] == 6379 else port for port in redis_ports]
    settled.core.patch_namespaced_service("admin-dashboard", "frontend", ports)
    settled.core.delete_namespaced_config_map("prometheus-config", "monitoring")
    scale(settled, "kube-system", "coredns", 0)
    settled.core.patch_namespaced_service("redis", "data", {"spec": {"ports": closed}})
    try:
        settled.kubectl("rollout", "restart", "deployment/prometheus", "-n", "monitoring")
        eventually(
            lambda: not settled.apps.read_namespaced_deployment("prometheus", "monitoring").status.available_replicas,
            timeout=120,
            what="Prometheus gone, its new pod waiting for the ConfigMap",
        )
        eventually(
            lambda: not settled.core.list_namespaced_pod("kube-system", label_selector="k8s-app=kube-dns").items,
            timeout=120,
            what="CoreDNS's pods gone",
        )
        result = verify()
        assert not result.run.ok and result.report["score"] < 100
        assert "success criteria not met" in " ".join(result.run.failures), result.run.failures
        assert "Service frontend/admin-dashboard sends port 8080 to targetPort web" in result.findings("service-target-ports")
        assert "Service data/redis sends port 6379 to targetPort 6390" in result.findings("service-target-ports")
        assert "Deployment monitoring/prometheus runs 0 of 1 replicas" in result.findings("workloads-available"), result
        assert result.outcome("services-scraped") == "blocked", result
        lead = first_finding(result)
        assert "cluster-dns-answers: cluster DNS does not answer" in lead, lead
        assert "Deployment kube-system/coredns is scaled to 0 replicas" in lead, lead
        assert "more findings this explains (service-names-resolve" in str(result), result
        assert "svc.cluster.local does not resolve from pod" not in str(result), "the names are folded beneath DNS"
        assert result.findings("service-names-resolve").count("does not resolve") > 10, "the JSON keeps every finding"
        assert "cluster DNS is down: Deployment kube-system/coredns is scaled to 0" in result.findings("addons-available")
    finally:
        ports["spec"]["ports"][0]["targetPort"] = 8080
        settled.core.patch_namespaced_service("admin-dashboard", "frontend", ports)
        saved.metadata = client.V1ObjectMeta(name=saved.metadata.name, namespace="monitoring", labels=saved.metadata.labels)
        settled.core.create_namespaced_config_map("monitoring", saved)
        scale(settled, "kube-system", "coredns", 2)
        settled.core.patch_namespaced_service("redis", "data", {"spec": {"ports": redis_ports}})
    eventually(settled.ready_dns, timeout=120, what="CoreDNS answering again")
    settled.restart_backed_off_pods()
    settled.wait_until_settled()

    worker = settled.settings.workers[-1].name
    node = settled.host(worker)
    node.run_expect([0], "systemctl stop kubelet")
    try:
        result = verify()
        assert not result.run.ok
        assert f"{worker}: kubelet is not running" in result.findings("node-services"), result
    finally:
        node.run("systemctl start kubelet")
    settled.wait_until_settled()
    eventually(lambda: verify().report["score"] == 100, timeout=240, interval=10, what="full marks once repaired")


def test_each_deployment_fault_is_real_on_its_own_and_each_repair_earns_points(settled: Cluster):
    """A learner repairs order-service one fault at a time: the requests (the pods are scheduled,
    then cannot pull their image), the image (they start, then the liveness probe restarts them),
    the strategy (the probe is still wrong). The last step scores more than the break, none
    scores full marks."""
    deployment = settled.apps.read_namespaced_deployment("order-service", "backend")
    container = deployment.spec.template.spec.containers[0]
    resources = settled.api.sanitize_for_serialization(container.resources)
    broken = run_playbook("playbooks/break.yml", extravars={"scenarios": "deployment"})
    assert broken.ok, broken.failures

    def repair(spec: dict) -> None:
        settled.apps.patch_namespaced_deployment("order-service", "backend", {"spec": spec})

    def pods_show(what: str) -> bool:
        pods = settled.core.list_namespaced_pod("backend", label_selector="app=order-service").items
        for pod in pods:
            for status in pod.status.container_statuses or []:
                waiting = status.state.waiting.reason if status.state.waiting else ""
                if what in waiting or (what == "restarts" and status.restart_count > 0):
                    return True
        return False

    earned = [verify().scenario("deployment")["earned"]]

    repair({"template": {"spec": {"containers": [{"name": container.name, "resources": resources}]}}})
    eventually(
        lambda: pods_show("ImagePull") or pods_show("ErrImage"), timeout=180, what="the pods scheduled, the image not pulled"
    )
    result = verify()
    assert result.outcome("requests-fit-nodes") == "passed" and result.outcome("images-available") == "failed", result
    assert "Image" in result.findings("workloads-available"), result.findings("workloads-available")
    earned.append(result.scenario("deployment")["earned"])

    repair({"template": {"spec": {"containers": [{"name": container.name, "image": container.image}]}}})
    eventually(lambda: pods_show("restarts"), timeout=240, what="the pods started, then restarted by their liveness probe")
    result = verify()
    assert result.outcome("images-available") == "passed", result
    assert "liveness probe on /health allows 1s" in result.findings("probe-timeouts"), result.findings("probe-timeouts")
    assert result.outcome("rollout-keeps-capacity") == "failed", result
    earned.append(result.scenario("deployment")["earned"])

    repair({"strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}})
    result = verify()
    assert result.outcome("rollout-keeps-capacity") == "passed" and result.outcome("probe-timeouts") == "failed", result
    assert {"probe-timeouts", "container-limits"} <= set(result.scenario("deployment")["failed"]), result
    earned.append(result.scenario("deployment")["earned"])
    # restarts are a symptom of their own: the basic level's points come and go, the root level's rise
    assert earned[0] < earned[1] <= earned[-1] < 25 and 75 < result.report["score"] < 100, (earned, str(result))

    solved = run_playbook("solve.yml")
    assert solved.ok, solved.failures
    settled.wait_until_settled()


def test_a_broken_add_on_or_customer_path_fails_the_run_and_names_the_component(settled: Cluster):
    """Faults no scenario injects, below and around the platform (metrics-server, the storage
    provisioner, kube-proxy on one node, NetworkPolicy enforcement, a route), found in one run: each fails the
    run (a success criterion unmet) and is named; after the repairs, full marks and every criterion
    met. (Cluster DNS down and a store's Service on a closed port: the test before.)"""
    proxy_less = settled.settings.workers[-1].name
    route = settled.custom.get_namespaced_custom_object(
        "gateway.networking.k8s.io", "v1", "frontend", "httproutes", "admin-dashboard"
    )

    scale(settled, "kube-system", "metrics-server", 0)
    scale(settled, "local-path-storage", "local-path-provisioner", 0)
    away = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "NotIn", "values": [proxy_less]}]}
                ]
            }
        }
    }
    settled.apps.patch_namespaced_daemon_set("kube-proxy", "kube-system", {"spec": {"template": {"spec": {"affinity": away}}}})
    settled.custom.delete_namespaced_custom_object("gateway.networking.k8s.io", "v1", "frontend", "httproutes", "admin-dashboard")
    nowhere = {"spec": {"template": {"spec": {"nodeSelector": {"cloudmart.lab/nowhere": "true"}}}}}
    settled.apps.patch_namespaced_daemon_set("kube-network-policies", "kube-system", nowhere)
    try:
        eventually(
            lambda: (
                not [
                    p
                    for p in settled.core.list_namespaced_pod("kube-system", label_selector="k8s-app=kube-proxy").items
                    if p.spec.node_name == proxy_less
                ]
            ),
            timeout=120,
            what=f"kube-proxy gone from {proxy_less}",
        )
        result = verify(verify_audience="instructor")
        assert not result.run.ok
        assert "addons-available: " in result.run.output, "the instructor's terminal names the checks"
        findings = result.findings("addons-available")
        assert (
            "the metrics API (metrics-server) is down: Deployment kube-system/metrics-server is scaled to 0 replicas" in findings
        )
        assert "the storage provisioner of StorageClass standard is down" in findings, findings
        assert "the metrics API does not answer" in result.findings("metrics-api-served")
        assert "its provisioner makes no volume" in result.findings("storage-provisioner-answers")
        assert f"Service routing (kube-proxy) is down on node {proxy_less}" in result.findings("kube-proxy-on-every-node")
        assert "the admin dashboard (admin-dashboard) is not reachable through the ingress: GET /admin/" in result.findings(
            "ingress-paths"
        )
        assert "NetworkPolicies are not enforced" in result.findings("network-policy-enforced")
        lead = first_finding(result)
        assert any(name in lead for name in ("metrics", "provisioner", "kube-proxy", "admin dashboard", "NetworkPolicies")), lead
    finally:
        everywhere = {"spec": {"template": {"spec": {"nodeSelector": None}}}}
        settled.apps.patch_namespaced_daemon_set("kube-network-policies", "kube-system", everywhere)
        scale(settled, "kube-system", "metrics-server", 1)
        scale(settled, "local-path-storage", "local-path-provisioner", 1)
        settled.kubectl(
            "patch",
            "daemonset",
            "kube-proxy",
            "-n",
            "kube-system",
            "--type=json",
            "-p",
            '[{"op": "remove", "path": "/spec/template/spec/affinity"}]',
        )
        route["metadata"] = {"name": "admin-dashboard", "namespace": "frontend", "labels": route["metadata"].get("labels")}
        settled.custom.create_namespaced_custom_object("gateway.networking.k8s.io", "v1", "frontend", "httproutes", route)
    settled.wait_until_settled()
    eventually(lambda: verify().run.ok, timeout=240, interval=10, what="full marks and every criterion met once repaired")
