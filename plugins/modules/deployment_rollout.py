#!/usr/bin/python
# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""Roll a Deployment out with another strategy, image, requests or probe; or back to a revision."""

from __future__ import annotations

DOCUMENTATION = r"""
module: deployment_rollout
short_description: Change a Deployment's rollout strategy and one container's image, resources and liveness probe
description:
  - Changes what a new version's rollout changes, the update strategy, and for one container its
    image, resources and liveness probe settings, plus labels of the pod template.
  - A change of the pod template is a new revision, as with C(kubectl apply); the Deployment rolls
    it out with its (new) strategy, and C(kubectl rollout history) lists the revision before it.
  - O(to_revision) first returns the pod template to the one of an earlier revision, as
    C(kubectl rollout undo --to-revision) does; the strategy is not part of a revision and stays.
  - Supports check mode and diff.
version_added: "0.1.0"
author: CloudMart Lab maintainers
extends_documentation_fragment: [cloudmart.lab.kube]
options:
  namespace:
    description: The Deployment's namespace.
    type: str
    required: true
  name:
    description: The Deployment's name.
    type: str
    required: true
  container:
    description: The container the image, resources and probe apply to; the one named as the Deployment by default.
    type: str
  to_revision:
    description: Return the pod template to this revision first (C(deployment.kubernetes.io/revision) of its ReplicaSet).
    type: int
  strategy:
    description: Fields of C(spec.strategy.rollingUpdate), such as C(maxSurge) and C(maxUnavailable).
    type: dict
  image:
    description: The container's image.
    type: str
  resources:
    description:
      - "The container's resources, exactly, such as C({requests: {cpu: 100m, memory: 64Mi}}); limits
        left out are removed."
    type: dict
  liveness_probe:
    description: Fields of the container's liveness probe to set, such as C(timeoutSeconds); the others stay.
    type: dict
  template_labels:
    description: Labels of the pod template to set (the others stay).
    type: dict
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Roll order-service back to revision 1, and keep its capacity during rollouts from now on
  cloudmart.lab.deployment_rollout:
    kubeconfig: "{{ lab_kubeconfig }}"
    namespace: backend
    name: order-service
    to_revision: 1
    strategy: {maxSurge: 1, maxUnavailable: 0}
"""

RETURN = r"""
revision:
  description: The Deployment's revision before the change.
  returned: always
  type: int
before:
  description: The strategy and pod template before.
  returned: always
  type: dict
after:
  description: The strategy and pod template after.
  returned: always
  type: dict
"""

import copy

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cloudmart.lab.plugins.module_utils.kube import (
    KubeError,
    api_client,
    call,
    get_or_none,
    run_kube_module,
    to_dict,
)

REVISION = "deployment.kubernetes.io/revision"


def revision_template(replica_sets: list[dict], deployment_uid: str, revision: int) -> dict:
    """The pod template of the Deployment's ReplicaSet of that revision, as the Deployment holds it."""
    for rs in replica_sets:
        owners = rs["metadata"].get("ownerReferences") or []
        annotations = rs["metadata"].get("annotations", {})
        if any(o.get("uid") == deployment_uid for o in owners) and annotations.get(REVISION) == str(revision):
            template = copy.deepcopy(rs["spec"]["template"])
            template["metadata"].get("labels", {}).pop("pod-template-hash", None)
            return template
    raise KubeError(f"the Deployment has no revision {revision} (see: kubectl rollout history)")


def rolled(deployment: dict, params: dict, template: dict | None) -> dict:
    """The Deployment's strategy and pod template with the requested changes."""
    spec = deployment["spec"]
    wanted = {"strategy": copy.deepcopy(spec.get("strategy", {})), "template": copy.deepcopy(template or spec["template"])}
    if params.get("strategy"):
        wanted["strategy"]["type"] = "RollingUpdate"
        wanted["strategy"].setdefault("rollingUpdate", {}).update(params["strategy"])
    if params.get("template_labels"):
        wanted["template"]["metadata"].setdefault("labels", {}).update({k: str(v) for k, v in params["template_labels"].items()})
    name = params.get("container") or deployment["metadata"]["name"]
    containers = wanted["template"]["spec"]["containers"]
    container = next((c for c in containers if c["name"] == name), None)
    if container is None:
        raise KubeError(f"the Deployment has no container {name}")
    if params.get("image"):
        container["image"] = params["image"]
    if params.get("resources"):
        container["resources"] = {kind: {k: str(v) for k, v in amounts.items()} for kind, amounts in params["resources"].items()}
    if params.get("liveness_probe"):
        if "livenessProbe" not in container:
            raise KubeError(f"the container {name} has no liveness probe to change")
        container["livenessProbe"].update(params["liveness_probe"])
    return wanted


def run_module(module: AnsibleModule) -> dict:
    from kubernetes import client

    params = module.params
    namespace, name = params["namespace"], params["name"]
    where = f"Deployment {namespace}/{name}"
    api = api_client(params["kubeconfig"])
    apps = client.AppsV1Api(api)
    found = get_or_none(f"cannot read {where}", apps.read_namespaced_deployment, name, namespace)
    if found is None:
        raise KubeError(f"{where} does not exist; deploy the platform first (playbooks/platform.yml)")
    deployment = to_dict(api, found)
    template = None
    if params["to_revision"] is not None:
        listed = call(f"cannot list the ReplicaSets of {namespace}", apps.list_namespaced_replica_set, namespace)
        replica_sets = to_dict(api, listed)
        template = revision_template(replica_sets["items"], deployment["metadata"]["uid"], params["to_revision"])
    before = {"strategy": deployment["spec"].get("strategy", {}), "template": deployment["spec"]["template"]}
    after = rolled(deployment, params, template)
    result = {
        "changed": normalized(after) != normalized(before),
        "before": before,
        "after": after,
        "revision": int(deployment["metadata"].get("annotations", {}).get(REVISION, 0)),
        "diff": {"before": before, "after": after},
    }
    if result["changed"] and not module.check_mode:
        deployment["spec"].update(after)
        call(f"cannot update {where}", apps.replace_namespaced_deployment, name, namespace, deployment)
    return result


def normalized(rollout: dict) -> dict:
    """The rollout as the API stores it: quantities in canonical form (2000m is stored as 2)."""
    from kubernetes.utils import parse_quantity

    rollout = copy.deepcopy(rollout)
    for key, value in (rollout["strategy"].get("rollingUpdate") or {}).items():
        rollout["strategy"]["rollingUpdate"][key] = str(value)
    for container in rollout["template"]["spec"]["containers"]:
        for kind, amounts in (container.get("resources") or {}).items():
            container["resources"][kind] = {k: parse_quantity(v) for k, v in amounts.items()}
    return rollout


def main() -> None:
    run_kube_module(
        run_module,
        {
            "namespace": {"type": "str", "required": True},
            "name": {"type": "str", "required": True},
            "container": {"type": "str"},
            "to_revision": {"type": "int"},
            "strategy": {"type": "dict"},
            "image": {"type": "str"},
            "resources": {"type": "dict"},
            "liveness_probe": {"type": "dict"},
            "template_labels": {"type": "dict"},
        },
    )


if __name__ == "__main__":
    main()
