"""The worker role: each worker joined, labelled, its kubelet talking to the control plane."""

from __future__ import annotations

from scenario import WORKERS, control_plane_host, kubectl_json

testinfra_hosts = ["ansible://workers"]


def test_the_kubelet_runs_with_the_kubeconfig_of_its_join(host):
    assert host.service("kubelet").is_running
    assert host.file("/etc/kubernetes/kubelet.conf").is_file


def test_the_worker_is_a_labelled_node_at_its_address(host):
    name = host.backend.get_hostname()
    node = kubectl_json(control_plane_host(), "get", "node", name)
    assert "node-role.kubernetes.io/worker" in node["metadata"]["labels"]
    address = next(a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP")
    assert address == next(worker["ip"] for worker in WORKERS if worker["name"] == name)
    # the kubelet reports in: it holds its node's lease
    lease = kubectl_json(control_plane_host(), "get", "lease", "--namespace", "kube-node-lease", name)
    assert lease["spec"]["holderIdentity"] == name
