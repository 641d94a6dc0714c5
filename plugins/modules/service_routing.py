#!/usr/bin/python
# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""Set which pods a Service sends traffic to, and on which port."""

from __future__ import annotations

DOCUMENTATION = r"""
module: service_routing
short_description: Set a Service's selector and the target port of one of its ports
description:
  - Sets the whole label selector of a Service, and the C(targetPort) of one of its ports, the two
    fields that decide whether the Service has endpoints and whether they answer.
  - Only the fields given change; the Service is replaced with its cluster IP and everything else kept.
  - Supports check mode and diff.
version_added: "0.1.0"
author: CloudMart Lab maintainers
extends_documentation_fragment: [cloudmart.lab.kube]
options:
  namespace:
    description: The Service's namespace.
    type: str
    required: true
  name:
    description: The Service's name.
    type: str
    required: true
  selector:
    description: The selector the Service must have, exactly (labels not listed are removed).
    type: dict
  port:
    description: The Service port (its number) whose target port O(target_port) sets; the first port by default.
    type: int
  target_port:
    description: The container port (a number, or a port name) the Service port must send to.
    type: raw
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Send user-service's traffic to the pods of user-service, on 8080
  cloudmart.lab.service_routing:
    kubeconfig: "{{ lab_kubeconfig }}"
    namespace: backend
    name: user-service
    selector: {app: user-service}
    port: 8080
    target_port: 8080
"""

RETURN = r"""
before:
  description: The Service's selector and ports before.
  returned: always
  type: dict
after:
  description: The Service's selector and ports after.
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


def routing(service: dict) -> dict:
    spec = service.get("spec", {})
    return {"selector": spec.get("selector") or {}, "ports": spec.get("ports") or []}


def desired_routing(current: dict, selector: dict | None, port: int | None, target_port: int | str | None) -> dict:
    """The routing with the selector and the target port replaced as asked."""
    wanted = copy.deepcopy(current)
    if selector is not None:
        wanted["selector"] = {str(key): str(value) for key, value in selector.items()}
    if target_port is not None:
        ports = wanted["ports"]
        chosen = next((p for p in ports if p.get("port") == port), None) if port is not None else (ports[0] if ports else None)
        if chosen is None:
            raise KubeError(f"the Service has no port {port}" if port is not None else "the Service has no ports")
        chosen["targetPort"] = int(target_port) if str(target_port).isdigit() else str(target_port)
    return wanted


def run_module(module: AnsibleModule) -> dict:
    from kubernetes import client

    params = module.params
    api = api_client(params["kubeconfig"])
    core = client.CoreV1Api(api)
    where = f"Service {params['namespace']}/{params['name']}"
    found = get_or_none(f"cannot read {where}", core.read_namespaced_service, params["name"], params["namespace"])
    if found is None:
        raise KubeError(f"{where} does not exist; deploy the platform first (playbooks/platform.yml)")
    service = to_dict(api, found)
    before = routing(service)
    after = desired_routing(before, params["selector"], params["port"], params["target_port"])
    result = {"changed": after != before, "before": before, "after": after, "diff": {"before": before, "after": after}}
    if result["changed"] and not module.check_mode:
        # A replace (not a strategic merge) so that selector labels left out are removed.
        service["spec"].update(after)
        call(f"cannot update {where}", core.replace_namespaced_service, params["name"], params["namespace"], service)
    return result


def main() -> None:
    run_kube_module(
        run_module,
        {
            "namespace": {"type": "str", "required": True},
            "name": {"type": "str", "required": True},
            "selector": {"type": "dict"},
            "port": {"type": "int"},
            "target_port": {"type": "raw"},
        },
        required_one_of=[("selector", "target_port")],
    )


if __name__ == "__main__":
    main()
