#!/usr/bin/python
# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""Start again, at once, the pods that sit out a crash-loop back-off."""

from __future__ import annotations

DOCUMENTATION = r"""
module: backed_off_pods
short_description: Restart the pods that sit out a crash-loop back-off
description:
  - Controllers that call the API server exit while it is away; once it is back, the kubelet starts
    them again only after their back-off, up to five minutes. This deletes, in the given namespaces,
    the pods one of whose containers waits in C(CrashLoopBackOff), so that their controllers make
    new ones at once.
  - Only pods a controller owns are deleted (a ReplicaSet, StatefulSet, DaemonSet or Job makes them
    again); a bare pod and a static pod's mirror are left alone.
  - Supports check mode (lists the pods) and diff.
version_added: "0.2.0"
author: CloudMart Lab maintainers
extends_documentation_fragment: [cloudmart.lab.kube]
options:
  namespaces:
    description: The namespaces whose pods to look at.
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
- name: Start again what crashed while the API server was away
  cloudmart.lab.backed_off_pods:
    kubeconfig: "{{ lab_kubeconfig }}"
    namespaces: [kube-system, ingress-system, monitoring]
"""

RETURN = r"""
restarted:
  description: The pods deleted for their controllers to start again, as C(namespace/name).
  returned: always
  type: list
  elements: str
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cloudmart.lab.plugins.module_utils.kube import api_client, call, get_or_none, run_kube_module

RESTARTING_OWNERS = ("ReplicaSet", "StatefulSet", "DaemonSet", "Job")


def backed_off(pod: Any) -> bool:
    """Whether a controller owns the pod and one of its containers waits out a crash-loop back-off."""
    owners = {owner.kind for owner in pod.metadata.owner_references or []}
    statuses = [*(pod.status.init_container_statuses or []), *(pod.status.container_statuses or [])]
    waiting = any(s.state and s.state.waiting and s.state.waiting.reason == "CrashLoopBackOff" for s in statuses)
    return waiting and bool(owners & set(RESTARTING_OWNERS))


def run_module(module: AnsibleModule) -> dict[str, Any]:
    from kubernetes import client

    core = client.CoreV1Api(api_client(module.params["kubeconfig"]))
    restarted = []
    for namespace in module.params["namespaces"]:
        pods = call(f"cannot list the pods of {namespace}", core.list_namespaced_pod, namespace).items
        for pod in filter(backed_off, pods):
            name = str(pod.metadata.name if pod.metadata else "")
            if not module.check_mode:
                get_or_none(f"cannot delete pod {namespace}/{name}", core.delete_namespaced_pod, name, namespace)
            restarted.append(f"{namespace}/{name}")
    return {"changed": bool(restarted), "restarted": restarted, "diff": {"before": {"pods": restarted}, "after": {"pods": []}}}


def main() -> None:
    run_kube_module(run_module, {"namespaces": {"type": "list", "elements": "str", "required": True}})


if __name__ == "__main__":
    main()
