"""The bare-metal path: a room on existing machines, reached by SSH alone. Two plain systemd Debian 12
containers stand in for a learner's two machines (the lab's node image, started here as a host
would be booted: no Vagrant, no lab state, nothing preloaded, only root's authorized key). The
workshop file lists them as hosts; `workshop inventory` writes the room's inventory; `workshop run`
runs site, the challenge's control-plane scenario and verify over it; the learner's cluster comes up
from nothing, is broken with the learner's own seed, and is verified; solve repairs it and verify
then gives a bare cluster's full repair (20 of 25: the last level's alert needs the platform's
Prometheus). Beyond CI's time (`make test-extended`): about 3 minutes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from cloudmart_lab import node_image
from cloudmart_lab.paths import REPO
from cloudmart_lab.workshop_secrets import RoomSecrets
from tests.lab.conftest import TIMINGS
from tests.workshop.scores import CATALOG, CONTROL_PLANE, REPAIRED

pytestmark = pytest.mark.extended


STATE = REPO / ".lab" / "workshop-hosts-test"
NETWORK, SUBNET = "cloudmart-lab-hosts-test", "10.80.0.0/24"
MACHINES = {"pc-01": "10.80.0.21", "pc-02": "10.80.0.22"}
NODES = [{"role": "control_plane", "cpus": 2, "memory_mib": 2048}, {"role": "worker", "cpus": 2, "memory_mib": 2048}]
# the node flags the Vagrantfile gives a node container: what a systemd host with a kubelet needs here
HOST_FLAGS = [
    "--cap-add=ALL",
    "--cap-drop=SYS_RESOURCE",
    "--security-opt=seccomp=unconfined",
    "--security-opt=apparmor=unconfined",
    "--security-opt=systempaths=unconfined",
    "--cgroupns=private",
    "--device-cgroup-rule=a *:* rwm",
    "--device=/dev/kmsg",
    "--tmpfs=/run",
    "--tmpfs=/run/lock",
    "--tmpfs=/tmp",
    "--volume=/var/lib/containerd",
    "--volume=/var/lib/kubelet",
    "--memory=2g",
]


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=300)


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudmart_lab", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=1800
    )


def booted(address: str, key: Path, seconds: float = 60) -> bool:
    """Whether the machine lets root in over SSH within `seconds` (systemd starts sshd a few seconds
    after the container starts), as an instructor waits for a room's machines to boot."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answered = subprocess.run(
            ["ssh", "-i", str(key), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
             "-o", "ConnectTimeout=5", f"root@{address}", "true"],
            capture_output=True,
            check=False,
        )  # fmt: skip
        if answered.returncode == 0:
            return True
        time.sleep(1)
    return False


def remove_machines() -> None:
    docker("rm", "--force", "--volumes", *MACHINES, check=False)
    docker("network", "rm", NETWORK, check=False)


@dataclass
class HostsRoom:
    file: Path
    inventory: Path
    env: dict[str, str]
    bundle: str

    def run(self, playbook: str, *extra: str) -> subprocess.CompletedProcess[str]:
        args = ["workshop", "run", str(self.file), playbook, "--inventory", str(self.inventory)]
        return cli(self.env, *args, "-e", f"lab_bundle_dir={self.bundle}", *extra)


@pytest.fixture(scope="module")
def hosts_room() -> Iterator[HostsRoom]:
    remove_machines()
    subprocess.run(["rm", "-rf", str(STATE)], check=True)
    (STATE / "ssh").mkdir(parents=True)
    key = STATE / "ssh" / "room"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    image = node_image.tag()
    assert docker("image", "inspect", image, check=False).returncode == 0, f"{image}: the lab's node image (make lab makes it)"
    docker("network", "create", "--subnet", SUBNET, NETWORK)
    try:
        for name, address in MACHINES.items():
            docker(
                "run", "--detach", "--name", name, "--hostname", name, "--network", NETWORK, "--ip", address,
                *HOST_FLAGS, f"--volume={key}.pub:/root/.ssh/authorized_keys:ro", image,
            )  # fmt: skip
        for address in MACHINES.values():
            assert booted(address, key), f"{address} does not answer over SSH a minute after it started"
        env = os.environ | {"CLOUDMART_LAB_STATE": str(STATE)}
        file = STATE / "room.yml"
        file.write_text(
            yaml.safe_dump(
                {
                    "learners": ["dan"],
                    "placement": "hosts",
                    "nodes": [
                        {"role": "control_plane", "cpus": 2, "memory_mib": 2048},
                        {"role": "worker", "cpus": 2, "memory_mib": 2048},
                    ],
                    "platform": False,
                    "ssh_user": "root",
                    "ssh_key": str(key),
                    "hosts": [{"name": name, "address": address} for name, address in MACHINES.items()],
                }
            )
        )
        inventory = STATE / "inventory.yml"
        written = cli(env, "workshop", "inventory", str(file), "-o", str(inventory))
        assert written.returncode == 0, written.stderr
        bundle = cli(env, "bundle", "path").stdout.strip()
        yield HostsRoom(file, inventory, env, bundle)
    finally:
        remove_machines()


def test_a_learners_cluster_on_two_hosts_comes_up_is_broken_and_verified_over_ssh_alone(hosts_room: HostsRoom):
    inventory = yaml.safe_load(hosts_room.inventory.read_text())
    assert set(inventory["all"]["children"]["cluster_dan"]["hosts"]) == {"dan-cp", "dan-w1"}

    for playbook, extra in (("site.yml", ()), ("challenge.yml", ("-e", "scenarios=control-plane"))):
        began = time.monotonic()
        done = hosts_room.run(playbook, *extra)
        TIMINGS[f"workshop on hosts: {playbook} for one learner on two fresh machines"] = time.monotonic() - began
        assert done.returncode == 0 and done.stdout.strip().endswith("1 of 1 learners done"), done.stdout + done.stderr

    seed = RoomSecrets.of(["dan"], STATE / "workshop").seeds["dan"]
    manifest = docker("exec", "pc-01", "cat", "/etc/kubernetes/manifests/kube-apiserver.yaml").stdout
    faults = CONTROL_PLANE["faults"]
    assert all(f"--{fault['flag']}={CATALOG.pick(fault, seed)}" in manifest for fault in faults), "dan's own variant"

    broken = hosts_room.run("verify.yml")
    assert broken.returncode == 1 and scored(broken.stdout) < REPAIRED, broken.stdout
    repaired = hosts_room.run("solve.yml", "-e", "scenarios=control-plane")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    # a bare cluster's full repair: every level but prevention, whose alert needs the platform's Prometheus
    verified = hosts_room.run("verify.yml")
    assert scored(verified.stdout) == REPAIRED, verified.stdout
    kubeconfig = STATE / "clusters" / "dan" / "kubeconfig"
    assert kubeconfig.is_file() and "10.80.0.21:6443" in kubeconfig.read_text()
    report = json.loads(next((STATE / "clusters" / "dan").rglob("verify.json")).read_text())
    assert report["score"] == REPAIRED and report["scenarios"][0]["level"] == "root"


def scored(said: str) -> float:
    """The points of verify's one line for the learner ("dan scores 1.2 of 25: ...")."""
    found = re.search(r"dan scores ([\d.]+) of", said)
    assert found, said
    return float(found[1])
