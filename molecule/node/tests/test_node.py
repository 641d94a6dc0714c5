"""The node role: a host ready for kubeadm, with the bundle's versions and images."""

from __future__ import annotations

import pytest
from scenario import BUNDLE, SETTINGS

testinfra_hosts = ["ansible://all"]


def test_containerd_runs_and_starts_at_boot(host):
    containerd = host.service("containerd")
    assert containerd.is_running and containerd.is_enabled


def test_the_kubelet_starts_at_boot(host):
    # it runs only once kubeadm has configured it (init or join): enabled is what the role owes
    assert host.service("kubelet").is_enabled


@pytest.mark.parametrize("binary", ["kubeadm", "kubelet", "kubectl"])
def test_the_kubernetes_binaries_are_the_settings_version(host, binary):
    flag = "version -o short" if binary == "kubeadm" else "--version" if binary == "kubelet" else "version --client"
    assert f"v{SETTINGS['kubernetes_version']}" in host.check_output(f"{binary} {flag}")


def test_every_image_the_node_runs_is_imported(host):
    imported = host.check_output("ctr --namespace k8s.io images list --quiet")
    control_plane = "control_plane" in host.ansible.get_variables()["group_names"]
    wanted = [image["ref"] for image in BUNDLE["images"].values() if control_plane or not image["control_plane_only"]]
    missing = [ref for ref in wanted if ref not in imported.split()]
    assert not missing, f"not imported: {missing}"


def test_containerd_runs_a_container(host):
    debian = BUNDLE["images"]["debian"]["ref"]
    run = host.run(f"ctr --namespace k8s.io run --rm {debian} molecule-smoke cat /etc/debian_version")
    assert run.rc == 0 and run.stdout.strip(), run.stderr


@pytest.mark.parametrize("key", ["net.ipv4.ip_forward", "net.bridge.bridge-nf-call-iptables"])
def test_the_kernel_forwards_and_filters_bridged_traffic(host, key):
    assert host.sysctl(key) == 1


def test_no_swap(host):
    assert host.check_output("swapon --show --noheadings") == ""
