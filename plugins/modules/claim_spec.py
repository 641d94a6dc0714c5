#!/usr/bin/python
# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""Give a PersistentVolumeClaim another spec without losing the volume it had."""

from __future__ import annotations

DOCUMENTATION = r"""
module: claim_spec
short_description: Recreate a PersistentVolumeClaim with another class, size or access modes, keeping its volume
description:
  - A claim's spec cannot be changed once created, so the claim is deleted and created again.
  - The volume it was bound to is kept - its reclaim policy set to C(Retain) first, so deleting the
    claim does not delete the data - and reserved for the next claim of the same name
    (C(claimRef) naming the claim). A claim that the volume can serve (same class, a size it
    holds, access modes it has) binds to it again, data and all; any other claim stays Pending.
  - The pods that mount the claim are deleted so that it can go; their controllers create them
    again, and they wait for the claim.
  - Supports check mode and diff.
version_added: "0.1.0"
author: CloudMart Lab maintainers
extends_documentation_fragment: [cloudmart.lab.kube]
options:
  namespace:
    description: The claim's namespace.
    type: str
    required: true
  name:
    description: The claim's name.
    type: str
    required: true
  storage_class:
    description: The StorageClass the claim asks for (it need not exist).
    type: str
    required: true
  size:
    description: The storage the claim requests, such as C(1Gi).
    type: str
    required: true
  access_modes:
    description: The access modes the claim asks for.
    type: list
    elements: str
    default: [ReadWriteOnce]
  wait_timeout:
    description: Seconds to wait for the old claim to go (and, when the kept volume fits, for the new one to bind).
    type: int
    default: 180
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Give the user database its claim back, on the volume that holds its data
  cloudmart.lab.claim_spec:
    kubeconfig: "{{ lab_kubeconfig }}"
    namespace: data
    name: postgres-data
    storage_class: standard
    size: 1Gi
    access_modes: [ReadWriteOnce]
"""

RETURN = r"""
before:
  description: The claim's spec before (null when there was no claim).
  returned: always
  type: dict
after:
  description: The claim's spec after.
  returned: always
  type: dict
volume:
  description: The PersistentVolume kept for the claim (null when the claim had none).
  returned: always
  type: str
bound:
  description: Whether the new claim is bound to the kept volume.
  returned: always
  type: bool
deleted_pods:
  description: Pods deleted so that the old claim could go.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cloudmart.lab.plugins.module_utils.kube import (
    api_client,
    call,
    get_or_none,
    run_kube_module,
    wait_until,
)

# Kept on the volume: the reclaim policy it had before the lab set Retain.
ORIGINAL_POLICY = "cloudmart.lab/original-reclaim-policy"


def claim_spec(claim: object | None) -> dict | None:
    if claim is None:
        return None
    spec = claim.spec
    return {
        "storage_class": spec.storage_class_name,
        "size": spec.resources.requests.get("storage"),
        "access_modes": list(spec.access_modes or []),
    }


def volume_fits(volume: object, wanted: dict) -> bool:
    """Whether a claim with the wanted spec can bind to the volume."""
    from kubernetes.utils import parse_quantity

    spec = volume.spec
    return (
        spec.storage_class_name == wanted["storage_class"]
        and parse_quantity(wanted["size"]) <= parse_quantity(spec.capacity["storage"])
        and set(wanted["access_modes"]) <= set(spec.access_modes or [])
    )


def kept_volume(core: object, namespace: str, name: str, claim: object | None) -> object | None:
    """The volume bound to the claim, or the one a previous run reserved for it."""
    if claim is not None and claim.spec.volume_name:
        return call("cannot read the claim's volume", core.read_persistent_volume, claim.spec.volume_name)
    volumes = call("cannot list PersistentVolumes", core.list_persistent_volume).items
    reserved = [
        v
        for v in volumes
        if v.spec.claim_ref
        and v.spec.claim_ref.namespace == namespace
        and v.spec.claim_ref.name == name
        and v.status.phase in ("Available", "Released")
    ]
    return reserved[0] if reserved else None


def pods_mounting(core: object, namespace: str, name: str) -> list[str]:
    pods = call(f"cannot list the pods of {namespace}", core.list_namespaced_pod, namespace).items
    return [
        pod.metadata.name
        for pod in pods
        if any(
            volume.persistent_volume_claim and volume.persistent_volume_claim.claim_name == name
            for volume in pod.spec.volumes or []
        )
    ]


def run_module(module: AnsibleModule) -> dict:
    from kubernetes import client

    params = module.params
    namespace, name, timeout = params["namespace"], params["name"], params["wait_timeout"]
    where = f"PersistentVolumeClaim {namespace}/{name}"
    core = client.CoreV1Api(api_client(params["kubeconfig"]))
    claim = get_or_none(f"cannot read {where}", core.read_namespaced_persistent_volume_claim, name, namespace)
    before = claim_spec(claim)
    after = {"storage_class": params["storage_class"], "size": params["size"], "access_modes": params["access_modes"]}
    volume = kept_volume(core, namespace, name, claim)
    result = {
        "changed": before != after,
        "before": before,
        "after": after,
        "bound": False,
        "deleted_pods": [],
        "volume": volume.metadata.name if volume else None,
        "diff": {"before": before or {}, "after": after},
    }
    if not result["changed"]:
        result["bound"] = claim.status.phase == "Bound"
        return result
    if module.check_mode:
        return result

    if volume is not None:
        keep(core, volume)
    if claim is not None:
        call(f"cannot delete {where}", core.delete_namespaced_persistent_volume_claim, name, namespace)
        for pod in pods_mounting(core, namespace, name):
            call(f"cannot delete pod {namespace}/{pod}", core.delete_namespaced_pod, pod, namespace)
            result["deleted_pods"].append(pod)
        wait_until(
            lambda: get_or_none(f"cannot read {where}", core.read_namespaced_persistent_volume_claim, name, namespace) is None,
            timeout,
            f"{where} is deleted (a pod still mounting it keeps it)",
        )
    if volume is not None:
        reserve(core, volume.metadata.name, namespace, name)

    fits = volume is not None and volume_fits(volume, after)
    body = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": namespace, "labels": claim.metadata.labels if claim else None},
        "spec": {
            "storageClassName": after["storage_class"],
            "accessModes": after["access_modes"],
            "resources": {"requests": {"storage": after["size"]}},
            # naming the kept volume binds at once, even with a WaitForFirstConsumer class
            **({"volumeName": volume.metadata.name} if fits else {}),
        },
    }
    call(f"cannot create {where}", core.create_namespaced_persistent_volume_claim, namespace, body)
    if fits:

        def bound() -> bool:
            claim = call(f"cannot read {where}", core.read_namespaced_persistent_volume_claim, name, namespace)
            return claim.status.phase == "Bound"

        wait_until(bound, timeout, f"{where} is bound to the volume {volume.metadata.name}")
        result["bound"] = True
    return result


def keep(core: object, volume: object) -> None:
    """Set Retain, remembering the policy the volume had, so deleting its claim keeps the data."""
    annotations = volume.metadata.annotations or {}
    if volume.spec.persistent_volume_reclaim_policy == "Retain":
        return
    original = annotations.get(ORIGINAL_POLICY, volume.spec.persistent_volume_reclaim_policy)
    patch = {"metadata": {"annotations": {ORIGINAL_POLICY: original}}, "spec": {"persistentVolumeReclaimPolicy": "Retain"}}
    call(f"cannot keep the volume {volume.metadata.name}", core.patch_persistent_volume, volume.metadata.name, patch)


def reserve(core: object, volume: str, namespace: str, name: str) -> None:
    """Release the volume from the deleted claim and reserve it for the next claim of that name."""
    patch = [
        {
            "op": "replace",
            "path": "/spec/claimRef",
            "value": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": namespace, "name": name},
        }
    ]
    call(f"cannot reserve the volume {volume} for the claim", core.patch_persistent_volume, volume, patch)

    def available() -> bool:
        return call(f"cannot read the volume {volume}", core.read_persistent_volume, volume).status.phase == "Available"

    wait_until(available, 60, f"the volume {volume} is Available for the claim")


def main() -> None:
    run_kube_module(
        run_module,
        {
            "namespace": {"type": "str", "required": True},
            "name": {"type": "str", "required": True},
            "storage_class": {"type": "str", "required": True},
            "size": {"type": "str", "required": True},
            "access_modes": {"type": "list", "elements": "str", "default": ["ReadWriteOnce"]},
            "wait_timeout": {"type": "int", "default": 180},
        },
    )


if __name__ == "__main__":
    main()
