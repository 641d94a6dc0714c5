#!/usr/bin/python
# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""Make the cluster's DNS deny that some names exist."""

from __future__ import annotations

DOCUMENTATION = r"""
module: coredns_nxdomain
short_description: Make CoreDNS answer NXDOMAIN for some names, or stop doing so
description:
  - Adds to the Corefile a C(template) stanza per name that answers NXDOMAIN for it (O(state=present)),
    before the C(kubernetes) plugin that would otherwise answer; or removes those stanzas
    (O(state=absent)). Every other line of the Corefile stays as it is.
  - The stanza is the kind a person adds to block or override a name and then forgets.
  - CoreDNS is restarted after a change, so pods see the new answers at once rather than after
    the ConfigMap reaches the pods and the C(reload) plugin notices it (a minute or two).
  - Supports check mode and diff.
version_added: "0.1.0"
author: CloudMart Lab maintainers
extends_documentation_fragment: [cloudmart.lab.kube]
options:
  names:
    description: Fully qualified names, such as C(payment-service.backend.svc.cluster.local).
    type: list
    elements: str
    required: true
  state:
    description: Whether CoreDNS denies the names (C(present)) or answers them normally (C(absent)).
    type: str
    choices: [present, absent]
    default: present
  namespace:
    description: Namespace of CoreDNS's ConfigMap and Deployment.
    type: str
    default: kube-system
  configmap:
    description: The ConfigMap holding the C(Corefile).
    type: str
    default: coredns
  deployment:
    description: The CoreDNS Deployment to restart after a change (none when empty).
    type: str
    default: coredns
  wait_timeout:
    description: Seconds to wait for the restarted CoreDNS to be available again.
    type: int
    default: 120
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Make payment-service's name unresolvable inside the cluster
  cloudmart.lab.coredns_nxdomain:
    kubeconfig: "{{ lab_kubeconfig }}"
    names: [payment-service.backend.svc.cluster.local]
"""

RETURN = r"""
corefile:
  description: The Corefile after the change.
  returned: always
  type: str
"""

import datetime
import re
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cloudmart.lab.plugins.module_utils.kube import (
    KubeError,
    api_client,
    call,
    get_or_none,
    run_kube_module,
    wait_until,
)


def name_pattern(name: str) -> str:
    labels = name.rstrip(".").split(".")
    return "^" + "[.]".join(re.escape(label) for label in labels) + "[.]$"


def stanza(name: str, indent: str) -> str:
    inner = indent + "    "
    return (
        f'{indent}template ANY ANY {{\n{inner}match "{name_pattern(name)}"\n{inner}rcode NXDOMAIN\n'
        f"{inner}fallthrough\n{indent}}}\n"
    )


def _blocks(lines: list[str]) -> list[tuple[int, int]]:
    """[start, end) line ranges of every `template ... {` block."""
    found, i = [], 0
    while i < len(lines):
        if re.match(r"^\s*template\s.*\{\s*$", lines[i]):
            depth, j = 0, i
            while j < len(lines):
                depth += lines[j].count("{") - lines[j].count("}")
                j += 1
                if depth == 0:
                    break
            found.append((i, j))
            i = j
        else:
            i += 1
    return found


def _nxdomain_pattern(block: str) -> str | None:
    """The name pattern a template block answers NXDOMAIN for, if it is such a block."""
    match = re.search(r'match\s+"([^"]+)"', block)
    return match.group(1) if match and re.search(r"rcode\s+NXDOMAIN", block) else None


def denied(corefile: str) -> set[str]:
    """The patterns of the NXDOMAIN stanzas the Corefile has."""
    lines = corefile.splitlines(keepends=True)
    return {p for s, e in _blocks(lines) if (p := _nxdomain_pattern("".join(lines[s:e])))}


def with_names(corefile: str, names: list[str], present: bool) -> str:
    lines = corefile.splitlines(keepends=True)
    if present:
        missing = [name for name in names if name_pattern(name) not in denied(corefile)]
        at = next((i for i, line in enumerate(lines) if re.match(r"^\s*kubernetes\s", line)), None)
        if at is None:
            raise KubeError("the Corefile has no kubernetes plugin to put the stanza before")
        indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
        lines[at:at] = [stanza(name, indent) for name in missing]
        return "".join(lines)
    wanted = {name_pattern(name) for name in names}
    removed = [(s, e) for s, e in _blocks(lines) if _nxdomain_pattern("".join(lines[s:e])) in wanted]
    return "".join(line for i, line in enumerate(lines) if not any(s <= i < e for s, e in removed))


def run_module(module: AnsibleModule) -> dict[str, Any]:
    from kubernetes import client

    params = module.params
    api = api_client(params["kubeconfig"])
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    where = f"ConfigMap {params['namespace']}/{params['configmap']}"
    configmap = get_or_none(f"cannot read {where}", core.read_namespaced_config_map, params["configmap"], params["namespace"])
    if configmap is None or "Corefile" not in (configmap.data or {}):
        raise KubeError(f"{where} with a Corefile does not exist; is CoreDNS deployed (kubeadm's addon)?")
    before = str((configmap.data or {})["Corefile"])
    after = with_names(before, params["names"], params["state"] == "present")
    result = {"changed": after != before, "corefile": after, "diff": {"before": before, "after": after}}
    if not result["changed"] or module.check_mode:
        return result
    call(
        f"cannot update {where}",
        core.patch_namespaced_config_map,
        params["configmap"],
        params["namespace"],
        {"data": {"Corefile": after}},
    )
    if params["deployment"]:
        restart(apps, params["namespace"], params["deployment"], params["wait_timeout"])
    return result


def restart(apps: Any, namespace: str, name: str, timeout: int) -> None:
    """What `kubectl rollout restart` does, then wait until the Deployment is available again."""
    stamp = datetime.datetime.now(datetime.UTC).isoformat()
    patch = {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}}}
    where = f"Deployment {namespace}/{name}"
    updated = call(f"cannot restart {where}", apps.patch_namespaced_deployment, name, namespace, patch)
    generation = updated.metadata.generation

    def rolled_out() -> bool:
        status = call(f"cannot read {where}", apps.read_namespaced_deployment, name, namespace).status
        replicas = status.replicas or 0
        return (
            (status.observed_generation or 0) >= generation
            and (status.updated_replicas or 0) == replicas
            and (status.available_replicas or 0) == replicas
        )

    wait_until(rolled_out, timeout, f"{where} is restarted")


def main() -> None:
    run_kube_module(
        run_module,
        {
            "names": {"type": "list", "elements": "str", "required": True},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "namespace": {"type": "str", "default": "kube-system"},
            "configmap": {"type": "str", "default": "coredns"},
            "deployment": {"type": "str", "default": "coredns"},
            "wait_timeout": {"type": "int", "default": 120},
        },
    )


if __name__ == "__main__":
    main()
