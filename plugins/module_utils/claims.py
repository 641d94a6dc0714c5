# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""A PersistentVolumeClaim given a spec without losing the volume that holds its data: what the
claim_spec module does, and what the baseline module does for the platform's claims."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ansible_collections.cloudmart.lab.plugins.module_utils.kube import call, get_or_none, wait_until

# Kept on the volume: the reclaim policy it had before the lab set Retain.
ORIGINAL_POLICY = "cloudmart.lab/original-reclaim-policy"


@dataclass
class ClaimOutcome:
    changed: bool
    before: dict[str, Any] | None
    after: dict[str, Any]
    volume: str | None
    bound: bool = False
    deleted_pods: list[str] = field(default_factory=list)
    # the claim is new and had no volume to take, so it gets an empty one
    new_volume: bool = False


def claim_spec(claim: Any | None) -> dict[str, Any] | None:
    if claim is None:
        return None
    spec = claim.spec
    return {
        "storage_class": spec.storage_class_name,
        "size": spec.resources.requests.get("storage"),
        "access_modes": list(spec.access_modes or []),
    }


def volume_fits(volume: Any, wanted: dict[str, Any]) -> bool:
    """Whether a claim with the wanted spec can bind to the volume."""
    from kubernetes.utils import parse_quantity

    spec = volume.spec
    return bool(
        spec.storage_class_name == wanted["storage_class"]
        and parse_quantity(wanted["size"]) <= parse_quantity(spec.capacity["storage"])
        and set(wanted["access_modes"]) <= set(spec.access_modes or [])
    )


def kept_volume(core: Any, namespace: str, name: str, claim: Any | None) -> Any | None:
    """The volume bound to the claim, or one kept for a claim of that name (reserved by an earlier
    run, or released by a deleted claim while its reclaim policy was Retain)."""
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


def pods_mounting(core: Any, namespace: str, name: str) -> list[str]:
    pods = call(f"cannot list the pods of {namespace}", core.list_namespaced_pod, namespace).items
    return [
        pod.metadata.name
        for pod in pods
        if any(
            volume.persistent_volume_claim and volume.persistent_volume_claim.claim_name == name
            for volume in pod.spec.volumes or []
        )
    ]


def ensure_claim(
    core: Any,
    namespace: str,
    name: str,
    wanted: dict[str, Any],
    *,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    timeout: int = 180,
    check_mode: bool = False,
) -> ClaimOutcome:
    """Give the claim the wanted spec (storage_class, size, access_modes). A claim's spec cannot
    change, so a claim that differs is deleted, its volume kept (Retain) and reserved for the new
    claim, which binds to it when it can serve the spec."""
    where = f"PersistentVolumeClaim {namespace}/{name}"
    claim = get_or_none(f"cannot read {where}", core.read_namespaced_persistent_volume_claim, name, namespace)
    before = claim_spec(claim)
    volume = kept_volume(core, namespace, name, claim)
    outcome = ClaimOutcome(changed=before != wanted, before=before, after=wanted, volume=volume.metadata.name if volume else None)
    if not outcome.changed:
        outcome.bound = bool(claim is not None and claim.status.phase == "Bound")
        return outcome
    outcome.new_volume = volume is None
    if check_mode:
        return outcome

    if volume is not None:
        keep(core, volume)
    if claim is not None:
        call(f"cannot delete {where}", core.delete_namespaced_persistent_volume_claim, name, namespace)
        for pod in pods_mounting(core, namespace, name):
            call(f"cannot delete pod {namespace}/{pod}", core.delete_namespaced_pod, pod, namespace)
            outcome.deleted_pods.append(pod)
        wait_until(
            lambda: get_or_none(f"cannot read {where}", core.read_namespaced_persistent_volume_claim, name, namespace) is None,
            timeout,
            f"{where} is deleted (a pod still mounting it keeps it)",
        )
    if volume is not None:
        reserve(core, volume.metadata.name, namespace, name)

    fits = volume is not None and volume_fits(volume, wanted)
    volume_name = volume.metadata.name if volume is not None else None
    body = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels if labels is not None else (claim.metadata.labels if claim else None),
            "annotations": annotations,
        },
        "spec": {
            "storageClassName": wanted["storage_class"],
            "accessModes": wanted["access_modes"],
            "resources": {"requests": {"storage": wanted["size"]}},
            # naming the kept volume binds at once, even with a WaitForFirstConsumer class
            **({"volumeName": volume_name} if fits else {}),
        },
    }
    call(f"cannot create {where}", core.create_namespaced_persistent_volume_claim, namespace, body)
    if fits:

        def bound() -> bool:
            found = call(f"cannot read {where}", core.read_namespaced_persistent_volume_claim, name, namespace)
            return bool(found.status.phase == "Bound")

        wait_until(bound, timeout, f"{where} is bound to the volume {volume_name}")
        outcome.bound = True
    return outcome


def keep(core: Any, volume: Any) -> None:
    """Set Retain, remembering the policy the volume had, so deleting its claim keeps the data."""
    annotations = volume.metadata.annotations or {}
    if volume.spec.persistent_volume_reclaim_policy == "Retain":
        return
    original = annotations.get(ORIGINAL_POLICY, volume.spec.persistent_volume_reclaim_policy)
    patch = {"metadata": {"annotations": {ORIGINAL_POLICY: original}}, "spec": {"persistentVolumeReclaimPolicy": "Retain"}}
    call(f"cannot keep the volume {volume.metadata.name}", core.patch_persistent_volume, volume.metadata.name, patch)


def reserve(core: Any, volume: str, namespace: str, name: str) -> None:
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
        found = call(f"cannot read the volume {volume}", core.read_persistent_volume, volume)
        return bool(found.status.phase == "Available")

    wait_until(available, 60, f"the volume {volume} is Available for the claim")
