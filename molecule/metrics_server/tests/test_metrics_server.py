"""The metrics_server role: kubectl top answers for every node, as a learner would ask it."""

from __future__ import annotations

from scenario import NODES

from cloudmart_lab.waiting import eventually

testinfra_hosts = ["ansible://control_plane"]


def test_kubectl_top_lists_every_node(host):
    def top() -> set[str]:
        listing = host.run("kubectl --kubeconfig /etc/kubernetes/admin.conf top nodes --no-headers")
        return {line.split()[0] for line in listing.stdout.splitlines()} if listing.rc == 0 else set()

    # the first scrape comes about a resolution interval after the API is served
    assert eventually(lambda: top() == {node["name"] for node in NODES}, timeout=180, what="every node in kubectl top")
