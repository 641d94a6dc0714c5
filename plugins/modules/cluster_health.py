#!/usr/bin/python
# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""Say, in sentences, what keeps the cluster from being healthy."""

from __future__ import annotations

DOCUMENTATION = r"""
module: cluster_health
short_description: List what is unhealthy in the cluster and its workloads
description:
  - Reads, without changing anything, whether the API server answers, every node is Ready, every
    Deployment and StatefulSet in the given namespaces has all its replicas ready, and every claim
    there is Bound.
  - Each problem is one sentence naming the object, for a person to act on.
  - An API server that does not answer is a problem like any other, not a failure of the module.
version_added: "0.1.0"
author: CloudMart Lab maintainers
extends_documentation_fragment: [cloudmart.lab.kube]
options:
  namespaces:
    description: The namespaces whose workloads and claims must be healthy.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Read the cluster's health
  cloudmart.lab.cluster_health:
    kubeconfig: "{{ lab_kubeconfig }}"
    namespaces: [frontend, backend, data]
  register: health
"""

RETURN = r"""
healthy:
  description: Whether nothing is wrong.
  returned: always
  type: bool
api_reachable:
  description: Whether the API server answered.
  returned: always
  type: bool
problems:
  description: One sentence per problem.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cloudmart.lab.plugins.module_utils.kube import (
    KubeError,
    api_client,
    call,
    run_kube_module,
)


def node_problems(nodes: list) -> list[str]:
    problems = []
    for node in nodes:
        ready = next((c for c in node.status.conditions or [] if c.type == "Ready"), None)
        if ready is None or ready.status != "True":
            problems.append(f"node {node.metadata.name} is not Ready ({ready.reason if ready else 'no Ready condition'})")
    return problems


def workload_problems(kind: str, items: list) -> list[str]:
    problems = []
    for item in items:
        wanted, ready = item.spec.replicas or 0, item.status.ready_replicas or 0
        if ready < wanted:
            problems.append(f"{kind} {item.metadata.namespace}/{item.metadata.name} has {ready} of {wanted} replicas ready")
    return problems


def claim_problems(claims: list) -> list[str]:
    return [
        f"claim {c.metadata.namespace}/{c.metadata.name} is {c.status.phase}, not Bound"
        for c in claims
        if c.status.phase != "Bound"
    ]


def run_module(module: AnsibleModule) -> dict:
    from kubernetes import client

    api = api_client(module.params["kubeconfig"])
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    try:
        problems = node_problems(call("cannot list nodes", core.list_node).items)
    except KubeError as err:
        return {"changed": False, "healthy": False, "api_reachable": False, "problems": [str(err)]}
    for namespace in module.params["namespaces"]:
        what = f"cannot list the workloads of {namespace}"
        problems += workload_problems("Deployment", call(what, apps.list_namespaced_deployment, namespace).items)
        problems += workload_problems("StatefulSet", call(what, apps.list_namespaced_stateful_set, namespace).items)
        problems += claim_problems(call(what, core.list_namespaced_persistent_volume_claim, namespace).items)
    return {"changed": False, "healthy": not problems, "api_reachable": True, "problems": problems}


def main() -> None:
    run_kube_module(
        run_module,
        {
            "namespaces": {"type": "list", "elements": "str", "default": []},
        },
    )


if __name__ == "__main__":
    main()
