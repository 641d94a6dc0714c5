"""The cni role: every node Ready, the overlay and the policy agent on each, pods reachable across nodes."""

from __future__ import annotations

from scenario import NODES, control_plane_host, kubectl_json

testinfra_hosts = ["ansible://all"]


def pods(selector: str) -> list[dict]:
    return kubectl_json(control_plane_host(), "get", "pods", "--all-namespaces", "--selector", selector)["items"]


def test_every_node_is_ready():
    nodes = kubectl_json(control_plane_host(), "get", "nodes")["items"]
    ready = {
        n["metadata"]["name"] for n in nodes for c in n["status"]["conditions"] if c["type"] == "Ready" and c["status"] == "True"
    }
    assert ready == {node["name"] for node in NODES}


def test_the_overlay_and_the_policy_agent_run_on_this_node(host):
    name = host.backend.get_hostname()
    for selector in ("app=flannel", "app=kube-network-policies"):
        here = [p for p in pods(selector) if p["spec"]["nodeName"] == name]
        assert here and all(p["status"]["phase"] == "Running" for p in here), f"{selector} on {name}"
    assert host.interface("flannel.1").exists


def test_this_node_reaches_the_dns_pods_wherever_they_run(host):
    # from every node to every CoreDNS pod: with two nodes, at least one path crosses the overlay
    dns = pods("k8s-app=kube-dns")
    assert dns
    for pod in dns:
        answer = host.run(f"curl --silent --max-time 5 http://{pod['status']['podIP']}:8181/ready")
        assert answer.rc == 0 and answer.stdout.strip() == "OK", f"{pod['metadata']['name']} on {pod['spec']['nodeName']}"
