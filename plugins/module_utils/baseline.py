# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""What an object of the lab's baseline should look like on the server: its definition with the
lab's mark, and, for a reset, the live object with its content replaced by the definition's.
Pure functions: the baseline module sends them; the project's unit tests read them."""

from __future__ import annotations

import copy
from typing import Any

Obj = dict[str, Any]

# Every object the lab deploys carries its own identity in this annotation; an object in the
# platform's namespaces without it (or with another object's, as a copy made with
# `kubectl get -o yaml` would have) is one a learner added.
IDENTITY = "cloudmart.lab/baseline"
# What the server or the object's identity owns; everything else is content the definition gives.
NOT_CONTENT = ("apiVersion", "kind", "metadata", "status")
# The fields of a StatefulSet's spec an update may change (the API server refuses the others).
STATEFULSET_MUTABLE = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "revisionHistoryLimit",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)
# What the API server allocated to a Service when it was created, kept when the definition is silent.
SERVICE_ALLOCATED = ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "healthCheckNodePort")
HIDDEN = "<hidden>"


def identity(obj: Obj) -> str:
    meta = obj.get("metadata", {})
    namespace = meta.get("namespace")
    return "/".join([obj["kind"], *([namespace] if namespace else []), meta["name"]])


def marked(definition: Obj) -> Obj:
    """The definition with the annotation naming it as part of the baseline."""
    obj = copy.deepcopy(definition)
    obj.setdefault("metadata", {}).setdefault("annotations", {})[IDENTITY] = identity(definition)
    return obj


def is_baseline(obj: Obj) -> bool:
    """Whether the object is one the lab deployed (and not a copy of one under another name)."""
    return bool((obj.get("metadata", {}).get("annotations") or {}).get(IDENTITY) == identity(obj))


def replaced(live: Obj, definition: Obj) -> Obj:
    """The live object with its content exactly the definition's: fields anyone added are gone.
    Labels and annotations are added to the live ones (controllers keep theirs there), and what the
    server allocated stays."""
    wanted = marked(definition)
    desired = copy.deepcopy(live)
    desired.pop("status", None)
    meta = desired["metadata"]
    meta.pop("managedFields", None)
    for key in ("labels", "annotations"):
        merged = {**(meta.get(key) or {}), **(wanted["metadata"].get(key) or {})}
        if merged:
            meta[key] = merged
    for key in {*live, *wanted} - set(NOT_CONTENT):
        if key in wanted:
            desired[key] = copy.deepcopy(wanted[key])
        else:
            desired.pop(key, None)
    if live["kind"] == "StatefulSet":
        desired["spec"] = _statefulset_spec(live["spec"], wanted.get("spec", {}))
    elif live["kind"] == "Service":
        _keep_allocated(desired.setdefault("spec", {}), live.get("spec", {}))
    return desired


def _statefulset_spec(live: Obj, wanted: Obj) -> Obj:
    spec = copy.deepcopy(live)
    for key in STATEFULSET_MUTABLE:
        if key in wanted:
            spec[key] = copy.deepcopy(wanted[key])
        else:
            spec.pop(key, None)
    return spec


def _keep_allocated(spec: Obj, live: Obj) -> None:
    for key in SERVICE_ALLOCATED:
        if key not in spec and key in live:
            spec[key] = copy.deepcopy(live[key])
    if spec.get("type") not in ("NodePort", "LoadBalancer"):
        return
    allocated = {(p.get("port"), p.get("protocol", "TCP")): p.get("nodePort") for p in live.get("ports", [])}
    for port in spec.get("ports", []):
        node_port = allocated.get((port.get("port"), port.get("protocol", "TCP")))
        if "nodePort" not in port and node_port:
            port["nodePort"] = node_port


def compared(obj: Obj) -> Obj:
    """What decides whether an object changed: its content, labels and annotations."""
    meta = obj.get("metadata", {})
    found = {key: value for key, value in obj.items() if key not in NOT_CONTENT}
    found["labels"] = meta.get("labels") or {}
    found["annotations"] = meta.get("annotations") or {}
    return found


def shown(obj: Obj) -> Obj:
    """The object's compared part as a diff may show it: a Secret's values hidden."""
    found = compared(obj)
    if obj.get("kind") == "Secret":
        for key in ("data", "stringData"):
            if key in found:
                found[key] = dict.fromkeys(found[key], HIDDEN)
    return found


def claim_wanted(definition: Obj) -> dict[str, Any]:
    """A PersistentVolumeClaim definition's spec as the claims helper takes it."""
    spec = definition.get("spec", {})
    return {
        "storage_class": spec.get("storageClassName"),
        "size": spec.get("resources", {}).get("requests", {}).get("storage"),
        "access_modes": list(spec.get("accessModes", [])),
    }


def claim_metadata(definition: Obj) -> Obj:
    """A claim reduced to what an apply may still change once the claim exists: its metadata."""
    wanted = marked(definition)
    meta = wanted["metadata"]
    return {
        "apiVersion": wanted["apiVersion"],
        "kind": wanted["kind"],
        "metadata": {key: meta[key] for key in ("name", "namespace", "labels", "annotations") if key in meta},
    }
