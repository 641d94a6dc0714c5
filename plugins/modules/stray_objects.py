#!/usr/bin/python
# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""Remove what someone added to the lab's namespaces: debug pods, their own policies, stray claims."""

from __future__ import annotations

DOCUMENTATION = r"""
module: stray_objects
short_description: Remove the objects someone added to the lab's namespaces
description:
  - Lists, in the given namespaces, the workloads, pods, Services, NetworkPolicies, routes,
    autoscalers, disruption budgets and claims that are not the lab's own - objects without the
    C(cloudmart.lab/baseline) annotation naming them, which M(cloudmart.lab.baseline) gives every
    object it deploys - and deletes them.
  - Objects a controller made (with an owner reference) are left to their owner; a StatefulSet's
    claims are left alone.
  - A claim that holds a volume is kept (its data is never deleted), and reported.
  - Supports check mode (lists what would go) and diff.
version_added: "0.2.0"
author: CloudMart Lab maintainers
extends_documentation_fragment: [cloudmart.lab.kube]
options:
  namespaces:
    description: The namespaces to clear of stray objects.
    type: list
    elements: str
    required: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Remove what a learner added to the platform's namespaces
  cloudmart.lab.stray_objects:
    kubeconfig: "{{ lab_kubeconfig }}"
    namespaces: [frontend, backend, data, monitoring, ingress-system]
  register: stray
"""

RETURN = r"""
removed:
  description: The objects deleted, as C(Kind namespace/name).
  returned: always
  type: list
  elements: str
kept:
  description: Stray claims kept because they hold a volume, with why.
  returned: always
  type: list
  elements: str
"""

import re
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cloudmart.lab.plugins.module_utils.baseline import is_baseline
from ansible_collections.cloudmart.lab.plugins.module_utils.kube import api_client, call, get_or_none, run_kube_module

Obj = dict[str, Any]
# What a learner adds while repairing; ConfigMaps and Secrets are inert data and stay.
KINDS = (
    ("v1", "Pod"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("apps/v1", "ReplicaSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("v1", "Service"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("networking.k8s.io/v1", "Ingress"),
    ("gateway.networking.k8s.io/v1", "HTTPRoute"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
    ("v1", "PersistentVolumeClaim"),
)


def statefulset_claim(name: str, statefulsets: list[Obj]) -> bool:
    """Whether the claim is one a StatefulSet made from its claim templates (<template>-<set>-<n>)."""
    for statefulset in statefulsets:
        for template in statefulset.get("spec", {}).get("volumeClaimTemplates") or []:
            prefix = f"{template['metadata']['name']}-{statefulset['metadata']['name']}-"
            if name.startswith(prefix) and re.fullmatch(r"\d+", name[len(prefix) :]):
                return True
    return False


def strays(objects: list[Obj], statefulsets: list[Obj]) -> list[Obj]:
    """The objects no controller owns that are not the lab's own."""
    return [
        obj
        for obj in objects
        if not obj["metadata"].get("ownerReferences")
        and not is_baseline(obj)
        and not (obj["kind"] == "PersistentVolumeClaim" and statefulset_claim(obj["metadata"]["name"], statefulsets))
    ]


def run_module(module: AnsibleModule) -> dict[str, Any]:
    from kubernetes.dynamic import DynamicClient
    from kubernetes.dynamic.exceptions import ResourceNotFoundError

    dynamic = DynamicClient(api_client(module.params["kubeconfig"]))
    removed: list[str] = []
    kept: list[str] = []
    for namespace in module.params["namespaces"]:
        statefulsets = [
            item.to_dict()
            for item in call(
                f"cannot list the StatefulSets of {namespace}",
                dynamic.resources.get(api_version="apps/v1", kind="StatefulSet").get,
                namespace=namespace,
            ).items
        ]
        for api_version, kind in KINDS:
            try:
                resource = dynamic.resources.get(api_version=api_version, kind=kind)
            except ResourceNotFoundError:
                continue  # a kind this cluster does not serve has nothing to remove
            listed = call(f"cannot list the {kind}s of {namespace}", resource.get, namespace=namespace)
            objects = [{**item.to_dict(), "kind": kind} for item in listed.items]
            for obj in strays(objects, statefulsets):
                name = obj["metadata"]["name"]
                label = f"{kind} {namespace}/{name}"
                if kind == "PersistentVolumeClaim" and obj.get("status", {}).get("phase") == "Bound":
                    kept.append(f"{label}: it holds the volume {obj['spec'].get('volumeName')}, so it stays")
                    continue
                if not module.check_mode:
                    get_or_none(
                        f"cannot delete {label}",
                        resource.delete,
                        name=name,
                        namespace=namespace,
                        propagation_policy="Background",
                    )
                removed.append(label)
    return {
        "changed": bool(removed),
        "removed": removed,
        "kept": kept,
        "diff": {"before": {"objects": removed}, "after": {"objects": []}},
    }


def main() -> None:
    run_kube_module(run_module, {"namespaces": {"type": "list", "elements": "str", "required": True}})


if __name__ == "__main__":
    main()
