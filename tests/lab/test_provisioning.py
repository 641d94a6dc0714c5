"""Provisioning is idempotent: a second run of the site playbook changes nothing."""

from __future__ import annotations

from cloudmart_lab.runner import run_playbook
from tests.lab.cluster import Cluster


def test_provisioning_a_second_time_changes_nothing(lab: Cluster):
    second = run_playbook("playbooks/site.yml")
    assert second.ok, f"the second provisioning failed: {second.failures}"
    assert second.changed == 0, "tasks changed on a second run:\n" + "\n".join(second.changed_tasks)
    assert lab.ready_nodes() == {node.name for node in lab.settings.nodes}
