"""The lab survives restarts of its own nodes: a worker's node container restarted, and every node
stopped with the Docker engine restarted (as a reboot of the host would). `make lab` brings the
same lab back without building anything; every pod returns, verify gives full marks, and the data
is still there."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from cloudmart_lab.paths import REPO
from tests.lab.cloudmart import CloudMart
from tests.lab.cluster import Cluster, eventually
from tests.lab.conftest import TIMINGS
from tests.lab.test_faults import assert_full_marks
from tests.lab.verification import verify


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True, timeout=300).stdout


def node_containers() -> dict[str, str]:
    """The lab's node containers by node name."""
    checkout = f"label=io.cloudmart.lab.checkout={REPO}"
    ids = docker("ps", "--all", "--quiet", "--filter", checkout).split()
    return {d["Config"]["Labels"]["io.cloudmart.lab.node"]: d["Id"] for d in json.loads(docker("inspect", *ids))}


@pytest.fixture(scope="module")
def shop(lab: Cluster) -> CloudMart:
    lab.wait_until_settled()
    return CloudMart(lab)


def started_again(lab: Cluster, nodes: set[str], since: datetime) -> bool:
    """Whether every container of every pod on the nodes runs since the restart (until the kubelet
    there has synced, the API still shows the pods as they were before)."""
    for pod in lab.core.list_pod_for_all_namespaces().items:
        if pod.spec.node_name not in nodes or pod.status.phase in ("Succeeded", "Failed"):
            continue
        for status in pod.status.container_statuses or []:
            running = status.state.running if status.state else None
            if running is None or running.started_at is None or running.started_at < since:
                return False
    return True


def recovered(lab: Cluster, shop: CloudMart, data: dict, nodes: set[str], since: datetime, label: str) -> None:
    eventually(lambda: started_again(lab, nodes, since), timeout=900, interval=5, what=f"every pod started again after {label}")
    lab.wait_until_settled(timeout=900)
    TIMINGS[f"{label}: every pod ready again"] = (datetime.now(UTC) - since).total_seconds()
    assert shop.fingerprint() == data, "every row of every store is as it was (before verify's own purchase)"
    assert_full_marks(verify())


def test_a_restarted_worker_node_comes_back_with_its_pods(lab: Cluster, shop: CloudMart):
    data = shop.fingerprint()
    worker = lab.settings.workers[-1].name
    since = datetime.now(UTC).replace(microsecond=0)
    docker("restart", node_containers()[worker])
    recovered(lab, shop, data, {worker}, since, f"node container {worker} restarted")


def test_every_node_stopped_and_the_docker_engine_restarted_then_make_lab_brings_the_same_lab_back(lab: Cluster, shop: CloudMart):
    data = shop.fingerprint()
    containers = node_containers()
    since = datetime.now(UTC).replace(microsecond=0)
    docker("stop", *containers.values())
    subprocess.run(["pkill", "-TERM", "-x", "dockerd"], check=True)
    eventually(lambda: subprocess.run(["pidof", "dockerd"], check=False).returncode != 0, timeout=120, what="dockerd stopped")

    started = time.monotonic()
    up = subprocess.run([sys.executable, "-m", "cloudmart_lab", "up"], cwd=REPO, capture_output=True, text=True, timeout=1800)
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
    TIMINGS["make lab after the Docker engine restarted"] = time.monotonic() - started
    assert "started dockerd" in up.stderr and up.stderr.count("reused from the cache") >= 2, up.stderr[-3000:]
    assert node_containers() == containers, "the same node containers, started again"
    recovered(lab, shop, data, set(containers), since, "every node stopped and the Docker engine restarted")
