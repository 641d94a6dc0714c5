"""The storage role: a claim that names no class binds on `standard`, and what a pod writes lands on a node."""

from __future__ import annotations

import json
import shlex

from scenario import BUNDLE, kubectl, kubectl_json, node

from cloudmart_lab.waiting import eventually

testinfra_hosts = ["ansible://control_plane"]
NAMESPACE = "molecule-storage"


def apply(host, manifest: dict) -> None:
    host.check_output(f"echo {shlex.quote(json.dumps(manifest))} | kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f -")


def test_standard_is_the_only_default_class(host):
    classes = kubectl_json(host, "get", "storageclass")["items"]
    defaults = [
        c["metadata"]["name"]
        for c in classes
        if c["metadata"].get("annotations", {}).get("storageclass.kubernetes.io/is-default-class") == "true"
    ]
    assert defaults == ["standard"]


def test_a_claim_binds_and_keeps_what_a_pod_wrote(host):
    apply(host, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
    try:
        apply(
            host,
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": "data", "namespace": NAMESPACE},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "64Mi"}}},
            },
        )
        apply(
            host,
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "writer", "namespace": NAMESPACE},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {
                            "name": "writer",
                            "image": BUNDLE["images"]["debian"]["ref"],
                            "imagePullPolicy": "Never",
                            "command": ["sh", "-c", "echo kept > /data/proof"],
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                        }
                    ],
                    "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
                },
            },
        )
        eventually(
            lambda: kubectl(host, "get", "pod", "writer", "-n", NAMESPACE, "-o", "jsonpath={.status.phase}") == "Succeeded",
            timeout=180,
            what="the writer pod finishing",
        )
        claim = kubectl_json(host, "get", "pvc", "data", "-n", NAMESPACE)
        assert (claim["status"]["phase"], claim["spec"]["storageClassName"]) == ("Bound", "standard")
        volume = kubectl_json(host, "get", "pv", claim["spec"]["volumeName"])
        path = (volume["spec"].get("hostPath") or volume["spec"]["local"])["path"]
        node_name = volume["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]["values"][0]
        assert node(node_name).file(f"{path}/proof").content_string == "kept\n"
    finally:
        kubectl(host, "delete", "namespace", NAMESPACE, "--wait=true", "--timeout=120s")
