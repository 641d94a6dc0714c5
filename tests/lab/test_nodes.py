"""The nodes themselves, over real SSH through the lab's Ansible inventory."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cloudmart_lab.bundle.manifest import load as load_manifest
from cloudmart_lab.preload import refs
from tests.lab.cluster import Cluster

MANIFEST = "/etc/kubernetes/manifests/kube-apiserver.yaml"


def test_the_kube_apiserver_runs_from_its_static_pod_manifest_on_6443(lab: Cluster):
    """The healthy state the control-plane scenario breaks. That the kubelet acts on an edit of
    this manifest is shown where it matters, by the fault rounds (tests/lab/test_faults.py): the
    API server comes back with the broken flags, then with the repaired ones."""
    node = lab.host(lab.settings.control_plane.name)
    assert node.file(MANIFEST).contains("--secure-port=6443")
    assert node.file(MANIFEST).contains("--etcd-servers=https://127.0.0.1:2379")
    assert node.socket("tcp://0.0.0.0:6443").is_listening or node.socket("tcp://:::6443").is_listening
    assert lab.kubectl("get", "--raw", "/readyz", "--request-timeout=10s", check=False).returncode == 0


@pytest.mark.parametrize("service", ["containerd", "kubelet", "ssh"])
def test_node_services_run_and_start_at_boot(lab: Cluster, service: str):
    for node in lab.settings.nodes:
        unit = lab.host(node.name).service(service)
        assert unit.is_running and unit.is_enabled, f"{service} on {node.name}"


def test_each_node_has_its_own_cgroup_tree(lab: Cluster):
    """The kubelets must not share one /kubepods: each node's pods live under the node's own cgroup root."""
    pods_by_node: dict[str, set[str]] = {node.name: set() for node in lab.settings.nodes}
    for pod in lab.core.list_pod_for_all_namespaces().items:
        if pod.spec.node_name in pods_by_node and pod.status.phase == "Running" and not pod.spec.host_network:
            pods_by_node[pod.spec.node_name].add(pod.metadata.uid.replace("-", "_"))
    for name, uids in pods_by_node.items():
        listing = lab.host(name).run_expect([0], "find /sys/fs/cgroup/memory/kubepods.slice -maxdepth 2 -name '*pod*.slice'")
        seen = {path.rsplit("pod", 1)[1].removesuffix(".slice") for path in listing.stdout.split()}
        others = set().union(*(other_uids for other, other_uids in pods_by_node.items() if other != name))
        assert uids <= seen, f"{name}: its pods are missing from its own cgroup tree"
        assert not seen & others, f"{name}'s cgroup tree holds pods of other nodes"
    ids = subprocess.run(
        ["docker", "ps", "--quiet", "--filter", "label=io.cloudmart.lab.node"], capture_output=True, text=True, check=True
    ).stdout.split()
    roots = set()
    for container in ids:
        pid = subprocess.run(
            ["docker", "inspect", "--format", "{{.State.Pid}}", container], capture_output=True, text=True, check=True
        ).stdout.strip()
        cgroups = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
        roots.add(next(line.split(":", 2)[2] for line in cgroups if ":memory:" in line))
    assert len(roots) == len(ids), f"node containers share a memory cgroup: {roots}"


def test_preloaded_nodes_hold_every_image_from_its_archive_and_received_no_archive(lab: Cluster):
    """The node image carried the images (preload_images): each node holds every image it runs,
    labelled with its archive's checksum in the bundle's manifest, and the node role copied none of
    the archives (they are what a preloaded node saves)."""
    if not lab.settings.preload_images:
        pytest.skip("settings.yml: preload_images is false; the node role copied and imported the images")
    bundles = [(lab.manifest, "/opt/cloudmart-lab/bundle")]
    if lab.state.platform_bundle_dir:
        bundles.append((load_manifest(Path(lab.state.platform_bundle_dir)), "/opt/cloudmart-lab/platform"))
    for node in lab.settings.nodes:
        host = lab.host(node.name)
        listing = host.run_expect([0], "ctr --namespace k8s.io images ls").stdout
        labels = {ref: found.get("cloudmart.lab/archive-sha256") for ref, found in refs.labels_of(listing).items()}
        for manifest, stage in bundles:
            runs = {
                name: image
                for name, image in manifest.images.items()
                if node.role == "control_plane" or not image["control_plane_only"]
            }
            wrong = [
                name for name, image in runs.items() if labels.get(image["ref"]) != manifest.files[image["archive"]]["sha256"]
            ]
            assert not wrong, f"{node.name} lacks these images, or holds them from another archive: {wrong}"
            copied = host.run_expect([0, 1, 2], f"ls {stage}/images").stdout.split()
            assert not copied, f"{node.name} received archives its containerd held already: {copied}"
