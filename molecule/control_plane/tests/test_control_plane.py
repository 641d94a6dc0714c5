"""The control_plane role: kubeadm's static pods serve the API, on the node and from the controller."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from scenario import CONTROL_PLANE, LAB, SETTINGS, kubectl

testinfra_hosts = ["ansible://control_plane"]


@pytest.mark.parametrize("component", ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"])
def test_each_static_pod_runs(host, component):
    assert host.file(f"/etc/kubernetes/manifests/{component}.yaml").is_file
    running = host.check_output(f"crictl ps --name '^{component}$' --state running --quiet")
    assert running, f"no running {component} container"


def test_the_api_server_listens_on_its_port_at_the_node_address(host):
    assert host.socket("tcp://6443").is_listening
    assert kubectl(host, "get", "--raw", "/readyz") == "ok"


def test_the_node_registers_with_the_settings_version(host):
    version = kubectl(host, "get", "node", CONTROL_PLANE["name"], "-o", "jsonpath={.status.nodeInfo.kubeletVersion}")
    assert version == f"v{SETTINGS['kubernetes_version']}"
    address = kubectl(host, "get", "node", CONTROL_PLANE["name"], "-o", "jsonpath={.status.addresses[0].address}")
    assert address == CONTROL_PLANE["ip"]


def test_the_controller_reaches_the_api_with_the_fetched_kubeconfig():
    kubectl_here = Path(LAB["bundle_dir"]) / "bin" / "kubectl"
    done = subprocess.run(
        [str(kubectl_here), "--kubeconfig", LAB["kubeconfig"], "get", "--raw", "/readyz"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert (done.returncode, done.stdout) == (0, "ok"), done.stderr
