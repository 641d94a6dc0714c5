#!/usr/bin/python
# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""Set command-line flags in a static pod manifest, the way an administrator edits it by hand."""

from __future__ import annotations

DOCUMENTATION = r"""
module: static_pod_flags
short_description: Set command-line flags of a container in a static pod manifest
description:
  - Sets C(--name=value) flags in the command of a static pod manifest's container, such as
    C(/etc/kubernetes/manifests/kube-apiserver.yaml), editing only the lines of those flags, as a
    person with an editor would; everything else (probes, comments, layout) stays as it is.
  - The kubelet watches the manifests folder and restarts the pod with the new flags.
  - No copy of the manifest is kept on the node (a learner is root there); a kubeadm control plane's
    manifests are made again from its configuration instead (the control_plane role's manifests.yml).
  - Supports check mode and diff.
version_added: "0.1.0"
author: CloudMart Lab maintainers
options:
  path:
    description: The manifest.
    type: path
    required: true
  flags:
    description: Flag names without the leading dashes, and the value each must have.
    type: dict
    required: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Point the API server at etcd's client port and serve on 6443
  cloudmart.lab.static_pod_flags:
    path: /etc/kubernetes/manifests/kube-apiserver.yaml
    flags:
      etcd-servers: https://127.0.0.1:2379
      secure-port: "6443"
"""

RETURN = r"""
before:
  description: The value each flag had before (null for a flag that was absent).
  returned: always
  type: dict
after:
  description: The value each flag has now.
  returned: always
  type: dict
"""

import os
import re
from typing import Any

from ansible.module_utils.basic import AnsibleModule


class ManifestError(Exception):
    pass


# One flag of a command list, as kubeadm writes it: `    - --secure-port=6443`.
FLAG = re.compile(r"^(\s*- )(['\"]?)--([A-Za-z0-9-]+)=(.*?)\2(\s*)$")


def set_flags(text: str, flags: dict[str, str]) -> tuple[str, dict[str, str | None]]:
    """The manifest with each flag set, and the values the flags had before. A flag the command
    lacks is added after its last flag."""
    lines = text.splitlines(keepends=True)
    before: dict[str, str | None] = dict.fromkeys(flags)
    last = None
    for i, line in enumerate(lines):
        match = FLAG.match(line)
        if not match:
            continue
        last = match, i
        prefix, quote, name, value, trail = match.groups()
        if name in flags:
            before[name] = value
            lines[i] = f"{prefix}{quote}--{name}={flags[name]}{quote}{trail}"
    missing = [name for name, value in before.items() if value is None]
    if missing:
        if last is None:
            raise ManifestError("its command has no --flag=value items")
        match, at = last
        lines[at + 1 : at + 1] = [f"{match.group(1)}--{name}={flags[name]}\n" for name in missing]
    return "".join(lines), before


def run_module(module: AnsibleModule) -> dict[str, Any]:
    params = module.params
    flags = {name.lstrip("-"): str(value) for name, value in params["flags"].items()}
    path = params["path"]
    try:
        with open(path, encoding="utf-8") as manifest:
            text = manifest.read()
    except OSError as err:
        module.fail_json(msg=f"cannot read the manifest {path}: {err.strerror}; is this a control-plane node?")
    try:
        new_text, before = set_flags(text, flags)
    except ManifestError as err:
        module.fail_json(msg=f"{path}: {err}")
    result = {
        "changed": new_text != text,
        "before": before,
        "after": flags,
        "diff": {"before": text, "after": new_text, "before_header": path, "after_header": path},
    }
    if not result["changed"] or module.check_mode:
        return result
    _write(path, new_text, os.stat(path).st_mode & 0o777)
    return result


def _write(path: str, text: str, mode: int) -> None:
    """Replace the file in one rename, so the kubelet never reads half a manifest."""
    temporary = f"{os.path.dirname(path)}/.{os.path.basename(path)}.cloudmart-lab"
    with open(temporary, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(temporary, mode)
    os.replace(temporary, path)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "flags": {"type": "dict", "required": True},
        },
        supports_check_mode=True,
    )
    result = run_module(module)
    if not module._diff:  # a diff only when asked for
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
