"""Provisioning is idempotent: a second run of the site playbook changes nothing, and the demo data
each service seeds is still there once, not twice."""

from __future__ import annotations

from cloudmart_lab.runner import run_playbook
from tests.lab.cloudmart import CloudMart
from tests.lab.cluster import Cluster

DEMO_USERS = ("alice@cloudmart.example", "bob@cloudmart.example", "carol@cloudmart.example")


def seed_counts(shop: CloudMart) -> dict[str, int]:
    emails = ", ".join(f"'{email}'" for email in DEMO_USERS)
    products = shop.http("GET", "/shop/api/products").body
    return {
        "demo users": int(shop.sql("userdb", f"SELECT count(*) FROM users WHERE email IN ({emails})")[0][0]),
        # order ids below 1001 are the seeded history; real orders start at 1001
        "past orders": int(shop.sql("orderdb", "SELECT count(*) FROM orders WHERE id < 1001")[0][0]),
        "demo products": sum(1 for product in products if product["id"].startswith("p-0")),
        "products": len(products),
    }


def test_provisioning_a_second_time_changes_nothing(lab: Cluster):
    shop = CloudMart(lab)
    before = seed_counts(shop)
    assert before["demo users"] == 3 and before["demo products"] == 12 and before["past orders"] > 0, before

    second = run_playbook("playbooks/site.yml")
    assert second.ok, f"the second provisioning failed: {second.failures}"
    assert second.changed == 0, "tasks changed on a second run:\n" + "\n".join(second.changed_tasks)
    assert lab.ready_nodes() == {node.name for node in lab.settings.nodes}
    assert seed_counts(shop) == before
