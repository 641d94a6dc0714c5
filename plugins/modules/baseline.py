#!/usr/bin/python
# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""Make Kubernetes objects what the lab's definitions say, over whatever someone left in them."""

from __future__ import annotations

DOCUMENTATION = r"""
module: baseline
short_description: Make Kubernetes objects what their definitions say, over whatever was left in them
description:
  - Creates each object of O(definition) that is missing, and brings each existing one to its definition.
  - With O(mode=apply) (provisioning), as C(kubectl apply --server-side --force-conflicts) does - the
    definition's fields win over anyone else's, fields others added stay.
  - With O(mode=exact) (a reset), the object's content (its C(spec), C(data), C(rules) and so on)
    becomes exactly the definition's, fields anyone added removed, as C(kubectl replace) would, while
    what the API server allocated (a Service's cluster IP and node ports) stays; a StatefulSet's
    fields an update may not change stay as they are; labels and annotations are added to the live ones.
  - A PersistentVolumeClaim's spec cannot change - in O(mode=exact) a claim whose spec differs is made
    again on the volume that holds its data (as M(cloudmart.lab.claim_spec) does), and a claim that
    had to be made on a new, empty volume is reported in RV(data_lost); in O(mode=apply) an existing
    claim keeps its spec.
  - Every object gets the annotation C(cloudmart.lab/baseline) naming it, by which
    M(cloudmart.lab.stray_objects) tells the lab's objects from those someone added.
  - Whether anything changes is asked of the API server first, by a server-side dry run; in check
    mode nothing more is sent. A Secret's values never appear in a diff.
version_added: "0.2.0"
author: CloudMart Lab maintainers
extends_documentation_fragment: [cloudmart.lab.kube]
options:
  definition:
    description: The objects, as a list, one object, or YAML text with one or more documents.
    type: raw
    required: true
  mode:
    description: C(apply) for provisioning, C(exact) to return objects to their definition.
    type: str
    choices: [apply, exact]
    default: apply
  field_manager:
    description: The name the lab's changes are made under (the owner of the fields it sets).
    type: str
    default: cloudmart-lab
  wait_timeout:
    description: Seconds to wait for a claim made again to bind to its volume.
    type: int
    default: 180
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Deploy a service over whatever a learner changed in it
  cloudmart.lab.baseline:
    kubeconfig: "{{ lab_kubeconfig }}"
    definition: "{{ lookup('ansible.builtin.template', 'service.yaml.j2') }}"

- name: Return it to its definition exactly
  cloudmart.lab.baseline:
    kubeconfig: "{{ lab_kubeconfig }}"
    definition: "{{ lookup('ansible.builtin.template', 'service.yaml.j2') }}"
    mode: exact
"""

RETURN = r"""
objects:
  description: Each object with what was done to it - created, updated or unchanged.
  returned: always
  type: list
  elements: dict
  sample: [{kind: Deployment, namespace: backend, name: order-service, action: updated}]
data_lost:
  description: Claims (namespace/name) that had to be made again on a new, empty volume.
  returned: always
  type: list
  elements: str
"""

import time
from typing import Any

import yaml
from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cloudmart.lab.plugins.module_utils.baseline import (
    claim_metadata,
    claim_wanted,
    compared,
    identity,
    marked,
    replaced,
    shown,
)
from ansible_collections.cloudmart.lab.plugins.module_utils.claims import ensure_claim
from ansible_collections.cloudmart.lab.plugins.module_utils.kube import (
    KubeError,
    api_client,
    call,
    get_or_none,
    run_kube_module,
)

Obj = dict[str, Any]
# A write that lost a race with another writer (409) is read and tried again this many times.
ATTEMPTS = 3


def definitions(value: Any) -> list[Obj]:
    """The objects of the definition option, empty YAML documents left out."""
    if isinstance(value, str):
        try:
            value = list(yaml.safe_load_all(value))
        except yaml.YAMLError as err:
            raise KubeError(f"the definition is not YAML: {err}") from err
    objects = value if isinstance(value, list) else [value]
    found = [obj for obj in objects if obj]
    for obj in found:
        if not isinstance(obj, dict) or not {"apiVersion", "kind"} <= set(obj) or not obj.get("metadata", {}).get("name"):
            raise KubeError(f"each object needs apiVersion, kind and metadata.name: {str(obj)[:120]}")
    return found


class Baseline:
    def __init__(self, module: AnsibleModule) -> None:
        from kubernetes import client
        from kubernetes.dynamic import DynamicClient

        self.module = module
        self.params = module.params
        api = api_client(self.params["kubeconfig"])
        self.dynamic = DynamicClient(api)
        self.core = client.CoreV1Api(api)
        self.objects: list[Obj] = []
        self.data_lost: list[str] = []
        self.before: dict[str, Obj] = {}
        self.after: dict[str, Obj] = {}

    def resource(self, obj: Obj) -> Any:
        from kubernetes.dynamic.exceptions import ResourceNotFoundError

        try:
            return self.dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        except ResourceNotFoundError:
            # a kind whose definition was installed since the client last asked the server
            self.dynamic.resources.invalidate_cache()
            try:
                return self.dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
            except ResourceNotFoundError:
                raise KubeError(f"the cluster serves no {obj['kind']} in {obj['apiVersion']}") from None

    def read(self, resource: Any, obj: Obj) -> Obj | None:
        meta = obj["metadata"]
        found = get_or_none(f"cannot read {identity(obj)}", resource.get, name=meta["name"], namespace=meta.get("namespace"))
        return found.to_dict() if found is not None else None

    def write(self, method: str, resource: Any, body: Obj, dry_run: bool) -> Obj:
        meta = body["metadata"]
        options: dict[str, Any] = {"field_manager": self.params["field_manager"]}
        if dry_run:
            options["dry_run"] = "All"
        what = f"cannot {'apply' if method == 'server_side_apply' else method} {identity(body)}"
        if method == "create":
            done = call(what, resource.create, body=body, namespace=meta.get("namespace"), **options)
        elif method == "replace":
            done = call(what, resource.replace, body=body, namespace=meta.get("namespace"), **options)
        else:
            options["force_conflicts"] = True
            done = call(what, resource.server_side_apply, body=body, namespace=meta.get("namespace"), **options)
        return dict(done.to_dict())

    def converge(self, obj: Obj) -> str:
        from kubernetes.dynamic.exceptions import ConflictError

        resource = self.resource(obj)
        if obj["kind"] == "PersistentVolumeClaim":
            return self.converge_claim(resource, obj)
        for attempt in range(1, ATTEMPTS + 1):
            live = self.read(resource, obj)
            if live is None:
                self.after[identity(obj)] = shown(marked(obj))
                self.write("create", resource, marked(obj), dry_run=self.module.check_mode)
                return "created"
            exact = self.params["mode"] == "exact"
            method, body = ("replace", replaced(live, obj)) if exact else ("server_side_apply", marked(obj))
            try:
                return self.update(resource, live, method, body)
            except KubeError as err:
                # someone wrote the object between the read and the replace: read it again
                if not isinstance(err.__cause__, ConflictError) or attempt == ATTEMPTS:
                    raise
                time.sleep(1)
        raise KubeError(f"{identity(obj)} kept changing while it was written")

    def update(self, resource: Any, live: Obj, method: str, body: Obj) -> str:
        outcome = self.write(method, resource, body, dry_run=True)
        if compared(outcome) == compared(live):
            return "unchanged"
        self.before[identity(live)], self.after[identity(live)] = shown(live), shown(outcome)
        if not self.module.check_mode:
            self.write(method, resource, body, dry_run=False)
        return "updated"

    def converge_claim(self, resource: Any, obj: Obj) -> str:
        """A claim made when missing; in exact mode, made again with its definition's spec on the
        volume that holds its data. Either way its labels and annotations are applied."""
        meta = obj["metadata"]
        namespace, name = meta.get("namespace", "default"), meta["name"]
        live = self.read(resource, obj)
        if live is not None and self.params["mode"] == "apply":
            return self.update(resource, live, "server_side_apply", claim_metadata(obj))
        outcome = ensure_claim(
            self.core,
            namespace,
            name,
            claim_wanted(obj),
            labels=meta.get("labels"),
            annotations=marked(obj)["metadata"]["annotations"],
            timeout=self.params["wait_timeout"],
            check_mode=self.module.check_mode,
        )
        if live is not None and not outcome.changed:
            return self.update(resource, live, "server_side_apply", claim_metadata(obj))
        self.before[identity(obj)], self.after[identity(obj)] = outcome.before or {}, outcome.after
        # a reset finds the lab provisioned: a claim it has to make on an empty volume lost its data
        if outcome.new_volume and self.params["mode"] == "exact":
            self.data_lost.append(f"{namespace}/{name}")
        return "created" if live is None else "updated"

    def run(self) -> dict[str, Any]:
        for obj in definitions(self.params["definition"]):
            action = self.converge(obj)
            meta = obj["metadata"]
            self.objects.append({"kind": obj["kind"], "namespace": meta.get("namespace"), "name": meta["name"], "action": action})
        return {
            "changed": any(o["action"] != "unchanged" for o in self.objects),
            "objects": self.objects,
            "data_lost": self.data_lost,
            "diff": {"before": self.before, "after": self.after},
        }


def run_module(module: AnsibleModule) -> dict[str, Any]:
    return Baseline(module).run()


def main() -> None:
    run_kube_module(
        run_module,
        {
            "definition": {"type": "raw", "required": True},
            "mode": {"type": "str", "choices": ["apply", "exact"], "default": "apply"},
            "field_manager": {"type": "str", "default": "cloudmart-lab"},
            "wait_timeout": {"type": "int", "default": 180},
        },
    )


if __name__ == "__main__":
    main()
