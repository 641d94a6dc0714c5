"""Pure helpers of the lab's checks (roles/verify/files/checks), with hand-made objects. The checks
themselves run against the real lab in tests/lab/test_verify.py and test_faults.py."""

from __future__ import annotations

import sys
import time

from kubernetes import client

from cloudmart_lab.paths import REPO

sys.path.insert(0, str(REPO / "roles" / "verify" / "files" / "checks"))

# Modules, not their functions: pytest would collect the checks' test functions as this file's.
import check_control_plane
import check_networking
import check_workloads
import findings
import lab
import probes

flags, probe_url = check_control_plane.flags, check_control_plane.probe_url
admits, selector_matches = check_networking.admits, check_networking.selector_matches
normalized, brief = check_workloads.normalized, lab.brief


def test_image_references_are_compared_as_containerd_names_them():
    assert normalized("order-service:v2.1-broken") == "docker.io/library/order-service:v2.1-broken"
    assert normalized("busybox") == "docker.io/library/busybox:latest"
    assert normalized("bitnami/redis:7") == "docker.io/bitnami/redis:7"
    assert normalized("localhost/cloudmart-lab/order-service:3f2a") == "localhost/cloudmart-lab/order-service:3f2a"
    assert normalized("registry.k8s.io/pause:3.10") == "registry.k8s.io/pause:3.10"
    assert normalized("localhost:5000/app:1") == "localhost:5000/app:1"


def test_static_pod_flags_and_probes_with_named_ports():
    container = {
        "command": ["kube-apiserver", "--secure-port=6444", "--etcd-servers=https://127.0.0.1:2379", "--v"],
        "ports": [{"name": "probe-port", "containerPort": 6443}],
        "livenessProbe": {"httpGet": {"host": "10.0.0.1", "path": "/livez", "port": "probe-port", "scheme": "HTTPS"}},
    }
    manifest = {"spec": {"containers": [container]}}
    assert flags(manifest) == {"secure-port": "6444", "etcd-servers": "https://127.0.0.1:2379"}
    assert probe_url(container, container["livenessProbe"]) == "https://10.0.0.1:6443/livez"
    assert probe_url(container, {"tcpSocket": {"port": 6443}}) is None


def workload(namespace: str, labels: dict[str, str]) -> client.V1Deployment:
    template = client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels=labels))
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(namespace=namespace),
        spec=client.V1DeploymentSpec(selector=client.V1LabelSelector(match_labels=labels), template=template),
    )


def rule(
    peers: list[client.V1NetworkPolicyPeer], ports: list[client.V1NetworkPolicyPort] | None = None
) -> client.V1NetworkPolicyIngressRule:
    return client.V1NetworkPolicyIngressRule(_from=peers, ports=ports)


def test_network_policy_rules_admit_by_pod_namespace_and_port():
    caller = workload("backend", {"app": "order-service", "version": "v1"})
    same_namespace = {"kubernetes.io/metadata.name": "backend"}
    by_app = client.V1NetworkPolicyPeer(pod_selector=client.V1LabelSelector(match_labels={"app": "order-service"}))
    by_version = client.V1NetworkPolicyPeer(
        pod_selector=client.V1LabelSelector(match_labels={"app": "order-service", "version": "v9"})
    )
    assert admits(rule([by_app]), "backend", caller, same_namespace, 8080, set())
    assert not admits(rule([by_version]), "backend", caller, same_namespace, 8080, set())
    # a pod selector alone admits pods of the policy's own namespace only
    assert not admits(rule([by_app]), "frontend", caller, same_namespace, 8080, set())
    from_backend = client.V1NetworkPolicyPeer(
        namespace_selector=client.V1LabelSelector(match_labels={"kubernetes.io/metadata.name": "backend"})
    )
    assert admits(rule([from_backend]), "frontend", caller, same_namespace, 8080, set())
    on_other_port = [client.V1NetworkPolicyPort(port=9090)]
    assert not admits(rule([by_app], on_other_port), "backend", caller, same_namespace, 8080, set())
    assert admits(rule([by_app], [client.V1NetworkPolicyPort(port="http")]), "backend", caller, same_namespace, 8080, {"http"})
    assert admits(rule([]), "backend", caller, same_namespace, 8080, set()), "a rule without peers admits everyone"


def test_label_selectors_with_expressions():
    labels = {"app": "payment-service", "tier": "backend"}
    expression = client.V1LabelSelectorRequirement(key="tier", operator="In", values=["backend", "data"])
    absent = client.V1LabelSelectorRequirement(key="canary", operator="DoesNotExist")
    assert selector_matches(client.V1LabelSelector(match_expressions=[expression, absent]), labels)
    assert selector_matches(client.V1LabelSelector(), labels), "an empty selector selects every pod"
    assert not selector_matches(None, labels)
    excluded = client.V1LabelSelectorRequirement(key="app", operator="NotIn", values=["payment-service"])
    assert not selector_matches(client.V1LabelSelector(match_expressions=[excluded]), labels)


def test_errors_are_cut_to_their_gist():
    unexpected = RuntimeError(
        "Unexpected exit code 255 for CommandResult(backend=<SshBackend>, exit_status=255, command=b'true', "
        "_stdout=b'', _stderr=b'ssh: connect to host 192.0.2.10 port 22: No route to host\\r\\n')"
    )
    assert brief(unexpected) == "ssh: connect to host 192.0.2.10 port 22: No route to host"
    assert brief("first line\nlast line\n") == "last line"


def test_asking_the_probe_pod_stops_waiting_once_the_probe_that_makes_it_has_failed():
    """cluster-dns-answers asks its name from the policy probe's pod: when that probe ended without
    the pod (refused, say), the answer is None at once instead of after the whole patience."""
    asked = probes.Probes("no-kubeconfig", "no-image")
    asked.policy.finish(findings.found("probe-failed", "the probe failed: ForbiddenException: (403)"))
    started = time.monotonic()
    assert asked.ask(["true"], timeout=60) is None
    assert time.monotonic() - started < 3

    ready = probes.Probes("no-kubeconfig", "no-image")
    ready.open_ready.set()
    ran: list[tuple[str, list[str]]] = []
    ready._exec = lambda pod, command: ran.append((pod, command)) or "10.96.0.1 kubernetes"  # type: ignore[method-assign]
    assert ready.ask(["getent", "hosts", "kubernetes"], timeout=60) == "10.96.0.1 kubernetes"
    assert ran == [("open", ["getent", "hosts", "kubernetes"])]


def test_prometheus_targets_are_read_once_none_waits_for_its_first_scrape():
    """Right after a rollout the new pods' targets are "unknown" until their first scrape: the
    checks that count scraped services wait for it (at most one interval and a margin), once."""
    checked = lab.Lab.__new__(lab.Lab)
    checked._cache = {}
    checked.settings = type("Settings", (), {"probe_margin": 0.5})()
    answers = [
        [{"health": "up", "scrapeInterval": "15s"}, {"health": "unknown", "scrapeInterval": "2s"}],
        [{"health": "up", "scrapeInterval": "15s"}, {"health": "unknown", "scrapeInterval": "2s"}],
        [{"health": "up", "scrapeInterval": "15s"}, {"health": "up", "scrapeInterval": "2s"}],
    ]
    checked.prometheus = lambda path: {"activeTargets": answers.pop(0)}
    assert [target["health"] for target in checked.scrape_targets()] == ["up", "up"]
    assert answers == [] and checked.scrape_targets()[1]["health"] == "up", "asked again until scraped, then kept"

    never = lab.Lab.__new__(lab.Lab)
    never._cache = {}
    never.settings = checked.settings
    never.prometheus = lambda path: {"activeTargets": [{"health": "unknown", "scrapeInterval": "1s"}]}
    started = time.monotonic()
    assert never.scrape_targets()[0]["health"] == "unknown"
    assert 1.4 <= time.monotonic() - started < 4, "one interval and the margin, no more"
    assert (lab._seconds("1m30s"), lab._seconds("15s"), lab._seconds("500ms"), lab._seconds("")) == (90, 15, 0.5, 15.0)
