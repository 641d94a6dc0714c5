"""reset.yml with no record of any break, on damage made by hand as a learner makes it, returns the
lab to its baseline with its data; provisioning a second time after it changes nothing, and the
demo data each service seeds is still there once, not twice."""

from __future__ import annotations

import subprocess

import yaml

from cloudmart_lab.runner import run_playbook
from tests.lab.cloudmart import CloudMart
from tests.lab.cluster import Cluster, eventually
from tests.lab.conftest import FAULTS_STATE, TIMINGS
from tests.lab.test_faults import assert_full_marks
from tests.lab.verification import verify

DEMO_USERS = ("alice@cloudmart.example", "bob@cloudmart.example", "carol@cloudmart.example")
MANIFEST = "/etc/kubernetes/manifests/kube-apiserver.yaml"


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


def reapply_from_its_own_yaml(lab: Cluster, kind: str, namespace: str, name: str) -> None:
    """Delete an object and put it back with `kubectl apply -f` of what `kubectl get -o yaml` said."""
    saved = lab.kubectl("get", kind, name, "-n", namespace, "-o", "yaml").stdout
    lab.kubectl("delete", kind, name, "-n", namespace)
    kubectl = [str(lab.state.bundle_dir) + "/bin/kubectl", "--kubeconfig", lab.kubeconfig, "apply", "-f", "-"]
    subprocess.run(kubectl, input=saved, text=True, capture_output=True, check=True, timeout=60)


def test_reset_repairs_damage_made_by_hand_with_no_record_and_a_second_provisioning_changes_nothing(lab: Cluster):
    lab.wait_until_settled()
    shop = CloudMart(lab)
    data, seeded = shop.fingerprint(), seed_counts(shop)
    assert seeded["demo users"] == 3 and seeded["demo products"] == 12 and seeded["past orders"] > 0, seeded
    healthy_image = lab.apps.read_namespaced_deployment("product-service", "backend").spec.template.spec.containers[0].image

    # what a learner does by hand, none of it recorded anywhere
    lab.kubectl("set", "image", "deployment/product-service", "-n", "backend", "product-service=localhost/cloudmart/product:v9")
    lab.kubectl("patch", "service", "payment-service", "-n", "backend", "-p", '{"spec":{"selector":{"track":"canary"}}}')
    reapply_from_its_own_yaml(lab, "httproute", "frontend", "mobile-api-gateway")
    lab.kubectl("run", "debug", "-n", "backend", f"--image={lab.toolbox}", "--restart=Never", "--", "sleep", "3600")
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "learner-deny", "namespace": "frontend"},
        "spec": {"podSelector": {"matchLabels": {"app": "web-frontend"}}, "policyTypes": ["Ingress"]},
    }
    lab.networking.create_namespaced_network_policy("frontend", policy)
    node = lab.host(lab.settings.control_plane.name)
    node.run_expect([0], f"printf 'spec: [unclosed\\n' >> {MANIFEST}")
    FAULTS_STATE.unlink(missing_ok=True)
    assert yaml.safe_load(node.file(MANIFEST).content_string.replace("[unclosed", "")) is not None

    reset = run_playbook("reset.yml")
    TIMINGS["reset.yml on damage made by hand, no record"] = reset.seconds
    assert reset.ok, reset.failures
    said = "\n".join(reset.messages)
    assert f"{MANIFEST} was changed: kubeadm wrote it again" in said, said
    assert "removed Pod backend/debug" in said and "removed NetworkPolicy frontend/learner-deny" in said, said
    lab.wait_until_settled()

    assert yaml.safe_load(node.file(MANIFEST).content_string)["kind"] == "Pod", "kubeadm wrote the manifest again"
    deployment = lab.apps.read_namespaced_deployment("product-service", "backend")
    assert deployment.spec.template.spec.containers[0].image == healthy_image
    assert lab.core.read_namespaced_service("payment-service", "backend").spec.selector == {"app": "payment-service"}
    names = {p.metadata.name for p in lab.core.list_namespaced_pod("backend").items}
    assert "debug" not in names, "the learner's debug pod is removed"
    policies = [p.metadata.name for p in lab.networking.list_namespaced_network_policy("frontend").items]
    assert "learner-deny" not in policies
    assert not FAULTS_STATE.exists(), "reset had no record, and made none"
    assert shop.fingerprint() == data, "every row of every store is as it was (before verify's own purchase)"
    assert_full_marks(verify())
    eventually(shop.purchase, timeout=60, interval=5, what="a purchase through the shop and the mobile API")

    second = run_playbook("playbooks/site.yml")
    TIMINGS["site.yml a second time"] = second.seconds
    assert second.ok, f"the second provisioning failed: {second.failures}"
    assert second.changed == 0, "tasks changed on a second run:\n" + "\n".join(second.changed_tasks)
    assert lab.ready_nodes() == {node.name for node in lab.settings.nodes}
    assert seed_counts(shop) == seeded
