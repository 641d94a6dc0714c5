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
new_volume:
  description: Whether the claim was made anew with no volume to keep, so it holds no data.
  returned: always
  type: bool
"""

from dataclasses import asdict
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cloudmart.lab.plugins.module_utils.claims import ensure_claim
from ansible_collections.cloudmart.lab.plugins.module_utils.kube import api_client, run_kube_module


def run_module(module: AnsibleModule) -> dict[str, Any]:
    from kubernetes import client

    params = module.params
    wanted = {"storage_class": params["storage_class"], "size": params["size"], "access_modes": params["access_modes"]}
    core = client.CoreV1Api(api_client(params["kubeconfig"]))
    outcome = ensure_claim(
        core, params["namespace"], params["name"], wanted, timeout=params["wait_timeout"], check_mode=module.check_mode
    )
    result = asdict(outcome)
    result["diff"] = {"before": outcome.before or {}, "after": outcome.after}
    return result


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
