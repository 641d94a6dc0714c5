"""How the baseline module returns an object to its definition, and how stray_objects tells the
lab's objects from those someone added (module_utils/baseline.py, modules/stray_objects.py)."""

from __future__ import annotations

import sys

from cloudmart_lab.paths import REPO

sys.path.insert(0, str(REPO / ".ansible" / "collections"))

from ansible_collections.cloudmart.lab.plugins.module_utils.baseline import (
    IDENTITY,
    claim_metadata,
    claim_wanted,
    compared,
    is_baseline,
    marked,
    replaced,
    shown,
)
from ansible_collections.cloudmart.lab.plugins.modules.baseline import definitions
from ansible_collections.cloudmart.lab.plugins.modules.stray_objects import strays

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "order-service", "namespace": "backend", "labels": {"app": "order-service"}},
    "spec": {
        "replicas": 5,
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
        "template": {"metadata": {"labels": {"app": "order-service"}}, "spec": {"containers": [{"name": "o", "image": "good"}]}},
    },
}


def live_deployment():
    """The Deployment after a learner's `kubectl edit`: another image, an added label and env, status and server fields."""
    return {
        **DEPLOYMENT,
        "metadata": {
            **DEPLOYMENT["metadata"],
            "resourceVersion": "42",
            "uid": "u1",
            "managedFields": [{"manager": "kubectl-edit"}],
            "annotations": {"deployment.kubernetes.io/revision": "3"},
        },
        "spec": {
            "replicas": 5,
            "progressDeadlineSeconds": 600,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "0%", "maxUnavailable": "100%"}},
            "template": {
                "metadata": {"labels": {"app": "order-service", "version": "v2.1"}},
                "spec": {"containers": [{"name": "o", "image": "bad", "env": [{"name": "X", "value": "1"}]}]},
            },
        },
        "status": {"replicas": 5},
    }


def test_exact_replaces_the_content_and_removes_what_someone_added():
    desired = replaced(live_deployment(), DEPLOYMENT)
    assert desired["spec"] == DEPLOYMENT["spec"], "the template and strategy are the definition's, the added label and env gone"
    assert desired["metadata"]["resourceVersion"] == "42" and "managedFields" not in desired and "status" not in desired
    annotations = desired["metadata"]["annotations"]
    assert annotations["deployment.kubernetes.io/revision"] == "3", "the controller's annotations stay"
    assert annotations[IDENTITY] == "Deployment/backend/order-service"


def test_a_service_keeps_what_the_api_server_allocated():
    definition = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "gw", "namespace": "ingress-system"},
        "spec": {"type": "NodePort", "selector": {"app": "gw"}, "ports": [{"port": 80, "nodePort": 30080}, {"port": 443}]},
    }
    live = {
        **definition,
        "metadata": {**definition["metadata"], "resourceVersion": "7"},
        "spec": {
            "type": "NodePort",
            "selector": {"app": "gw", "version": "v2"},
            "clusterIP": "10.96.0.20",
            "clusterIPs": ["10.96.0.20"],
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 443, "nodePort": 31443, "protocol": "TCP"}],
        },
    }
    spec = replaced(live, definition)["spec"]
    assert spec["selector"] == {"app": "gw"}, "the selector is the definition's exactly"
    assert (spec["clusterIP"], spec["clusterIPs"], spec["ipFamilies"]) == ("10.96.0.20", ["10.96.0.20"], ["IPv4"])
    assert [p["nodePort"] for p in spec["ports"]] == [30080, 31443]


def test_a_statefulset_keeps_the_fields_an_update_may_not_change():
    definition = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "redis", "namespace": "data"},
        "spec": {"serviceName": "redis", "replicas": 1, "template": {"spec": {"containers": [{"name": "r", "image": "good"}]}}},
    }
    live = {
        **definition,
        "spec": {
            **definition["spec"],
            "replicas": 0,
            "template": {"spec": {"containers": [{"name": "r", "image": "bad"}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "status": {"phase": "Pending"}}],
            "podManagementPolicy": "OrderedReady",
        },
    }
    spec = replaced(live, definition)["spec"]
    assert spec["replicas"] == 1 and spec["template"] == definition["spec"]["template"]
    assert spec["volumeClaimTemplates"] == live["spec"]["volumeClaimTemplates"] and spec["podManagementPolicy"] == "OrderedReady"


def test_a_configmap_loses_keys_someone_added():
    definition = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "monitoring"},
        "data": {"a": "1"},
    }
    live = {**definition, "data": {"a": "2", "b": "3"}, "binaryData": {"x": "eA=="}}
    desired = replaced(live, definition)
    assert desired["data"] == {"a": "1"} and "binaryData" not in desired


def test_changes_are_judged_on_content_labels_and_annotations_and_secrets_stay_hidden():
    live = live_deployment()
    same = {**live, "metadata": {**live["metadata"], "resourceVersion": "43", "managedFields": []}, "status": {}}
    assert compared(same) == compared(live)
    assert compared(replaced(live, DEPLOYMENT)) != compared(live)
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"password": "c2VjcmV0"}}
    assert shown(secret)["data"] == {"password": "<hidden>"}


def test_claims_are_read_as_the_claims_helper_takes_them_and_applied_by_their_metadata_only():
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "postgres-data", "namespace": "data", "labels": {"app": "postgres-user"}},
        "spec": {"storageClassName": "standard", "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    assert claim_wanted(claim) == {"storage_class": "standard", "size": "1Gi", "access_modes": ["ReadWriteOnce"]}
    applied = claim_metadata(claim)
    assert "spec" not in applied and applied["metadata"]["annotations"][IDENTITY] == "PersistentVolumeClaim/data/postgres-data"


def test_definitions_come_as_yaml_text_a_list_or_one_object():
    text = (
        "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"
        "---\n# nothing\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n"
    )
    assert [o["metadata"]["name"] for o in definitions(text)] == ["a", "b"]
    assert definitions(DEPLOYMENT) == [DEPLOYMENT] and definitions([DEPLOYMENT, None]) == [DEPLOYMENT]


def pod(name, **metadata):
    return {"kind": "Pod", "metadata": {"name": name, "namespace": "backend", **metadata}}


def test_strays_are_objects_nobody_owns_that_the_lab_did_not_deploy():
    ours = marked(DEPLOYMENT)
    copy_of_ours = {**ours, "metadata": {**ours["metadata"], "name": "order-service-debug"}}
    policy = {"kind": "NetworkPolicy", "metadata": {"name": "payment-service-ingress", "namespace": "backend"}}
    owned = pod("order-service-abc", ownerReferences=[{"kind": "ReplicaSet"}])
    debug = pod("debug")
    statefulset = {"metadata": {"name": "redis"}, "spec": {"volumeClaimTemplates": [{"metadata": {"name": "data"}}]}}
    claims = [
        {"kind": "PersistentVolumeClaim", "metadata": {"name": "data-redis-0", "namespace": "data"}},
        {"kind": "PersistentVolumeClaim", "metadata": {"name": "scratch", "namespace": "data"}},
    ]
    found = strays([ours, copy_of_ours, policy, owned, debug, *claims], [statefulset])
    assert [o["metadata"]["name"] for o in found] == ["order-service-debug", "payment-service-ingress", "debug", "scratch"]
    assert is_baseline(ours) and not is_baseline(copy_of_ours), "a copy under another name is not the lab's object"
