"""`vagrant destroy -f` leaves nothing of the lab behind. Runs last: it removes the shared lab."""

from __future__ import annotations

import json
import subprocess

from cloudmart_lab import memory, vagrant
from cloudmart_lab.paths import REPO
from tests.lab.cluster import Cluster
from tests.lab.conftest import MEMORY


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout


def test_vagrant_destroy_removes_every_container_network_and_volume(lab: Cluster):
    checkout = f"label=io.cloudmart.lab.checkout={REPO}"
    containers = docker("ps", "--all", "--quiet", "--filter", checkout).split()
    assert len(containers) == len(lab.settings.nodes)
    details = json.loads(docker("inspect", *containers))
    volumes = {mount["Name"] for node in details for mount in node["Mounts"] if mount["Type"] == "volume"}
    networks = {name for node in details for name in node["NetworkSettings"]["Networks"] if name.startswith("vagrant_network")}
    assert volumes and networks

    lab.delete_test_namespaces()
    MEMORY.update(memory.at_rest(lab.settings))
    assert set(MEMORY) == {node.name for node in lab.settings.nodes}, "docker stats reads every node container"
    vagrant.run(["destroy", "--force"], what="vagrant destroy")

    assert docker("ps", "--all", "--quiet", "--filter", checkout).split() == []
    left_volumes = set(docker("volume", "ls", "--quiet").split()) & volumes
    assert not left_volumes, f"volumes left behind: {left_volumes}"
    left_networks = set(docker("network", "ls", "--format", "{{.Name}}").split()) & networks
    assert not left_networks, f"networks left behind: {left_networks}"
