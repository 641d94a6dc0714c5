"""The full profile: the seed's replicated and clustered data layer, and CloudMart on top of it.

The replication tests write where the applications write and read where a replica serves; the
platform tests are the lab's own (tests/lab/test_platform.py), run against this scenario's lab.
"""

from __future__ import annotations

import json
import shlex
import uuid
from typing import Any

import pytest
from scenario import control_plane_host, kubectl

from cloudmart_lab import settings as lab_settings
from cloudmart_lab import state as lab_state
from cloudmart_lab.waiting import eventually
from tests.lab.cloudmart import CloudMart
from tests.lab.cluster import Cluster
from tests.lab.test_platform import (
    test_a_purchase_through_the_ingress_lands_in_every_store,
    test_every_platform_pod_is_ready_and_every_service_has_endpoints,
    test_prometheus_sees_every_service_and_their_traffic,
)

__all__ = [
    "test_a_purchase_through_the_ingress_lands_in_every_store",
    "test_every_platform_pod_is_ready_and_every_service_has_endpoints",
    "test_prometheus_sees_every_service_and_their_traffic",
]
# (primary pod, its PostgreSQL container, replica pod): the user DB and the product DB under FerretDB
REPLICATED = [("postgres-user-0", "postgres", "postgres-user-replica-0"), ("ferretdb-0", "postgres", "ferretdb-replica-0")]


@pytest.fixture(scope="module")
def lab() -> Cluster:
    cluster = Cluster(lab_settings.load(), lab_state.load())
    cluster.wait_until_settled()
    return cluster


@pytest.fixture(scope="module")
def shop(lab: Cluster) -> CloudMart:
    return CloudMart(lab)


def in_pod(pod: str, container: str, command: str) -> str:
    return kubectl(control_plane_host(), "exec", "-n", "data", pod, "-c", container, "--", "sh", "-c", command)


def psql(pod: str, container: str, query: str) -> str:
    return in_pod(pod, container, f"psql -X -A -t -U postgres -d postgres -c {shlex.quote(query)}").strip()


@pytest.mark.parametrize(("primary", "container", "replica"), REPLICATED)
def test_a_row_written_on_the_primary_is_read_on_the_replica(primary: str, container: str, replica: str):
    assert psql(replica, "postgres", "SELECT pg_is_in_recovery()") == "t"
    marker = uuid.uuid4().hex
    psql(primary, container, "CREATE TABLE IF NOT EXISTS replication_probe (marker text PRIMARY KEY)")
    psql(primary, container, f"INSERT INTO replication_probe (marker) VALUES ('{marker}')")
    eventually(
        lambda: psql(replica, "postgres", f"SELECT count(*) FROM replication_probe WHERE marker = '{marker}'") == "1",
        timeout=30,
        what=f"the row written on {primary} read on {replica}",
    )
    streaming = psql(primary, container, "SELECT state FROM pg_stat_replication")
    assert streaming == "streaming", streaming


def redis_cluster() -> dict[str, Any]:
    info = in_pod("redis-0", "redis", "redis-cli cluster info")
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    nodes = in_pod("redis-0", "redis", "redis-cli cluster nodes").splitlines()
    return {"info": {k: v.strip() for k, v in fields.items()}, "nodes": nodes}


def test_the_redis_cluster_has_six_nodes_and_covers_every_slot():
    found = redis_cluster()
    assert found["info"]["cluster_state"] == "ok"
    assert found["info"]["cluster_known_nodes"] == "6"
    assert found["info"]["cluster_slots_ok"] == "16384"
    flags = [node.split()[2].split(",") for node in found["nodes"]]
    masters = [f for f in flags if "master" in f]
    replicas = [f for f in flags if "slave" in f]
    assert (len(masters), len(replicas)) == (3, 3), found["nodes"]


def test_the_services_cache_in_the_redis_cluster(shop: CloudMart):
    product = shop.http("GET", "/shop/api/products").body[0]
    assert shop.http("GET", f"/shop/api/products/{product['id']}").status == 200
    key = f"product:{product['id']}"
    # -c: follow the cluster's redirect to the master that owns the key's slot
    ttl = in_pod("redis-0", "redis", f"redis-cli -c ttl {shlex.quote(key)}").strip()
    assert 0 < int(ttl) <= 60, f"{key} not cached in the cluster (ttl {ttl})"


def rabbitmqctl(*args: str) -> Any:
    return json.loads(in_pod("rabbitmq-0", "rabbitmq", shlex.join(["rabbitmqctl", *args, "--silent", "--formatter", "json"])))


def test_rabbitmq_reports_three_running_nodes_and_mirrors_its_queues():
    assert len(rabbitmqctl("cluster_status")["running_nodes"]) == 3
    queues = {q["name"]: q for q in rabbitmqctl("list_queues", "name", "policy", "synchronised_slave_pids")}
    assert "notifications" in queues, queues
    for name, queue in queues.items():
        # a copy on each of the two other nodes, in step with the master
        assert queue["policy"] == "ha-all" and len(queue["synchronised_slave_pids"]) == 2, (name, queue)
