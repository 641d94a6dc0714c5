#!/usr/bin/python
# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""Import a container image archive into a node's containerd, once per archive."""

from __future__ import annotations

DOCUMENTATION = r"""
module: containerd_image
short_description: Import an image archive into containerd unless that archive is already imported
description:
  - Imports a C(docker save) or OCI archive into containerd with C(ctr images import), the way
    lab nodes get their images without any registry.
  - The image is labelled with the archive's sha256, so importing the same archive again changes
    nothing, and a rebuilt archive under the same ref is imported again.
  - An archive may hold several images (C(refs)); it is imported once and every image is labelled.
  - The image is also pinned, so the kubelet's image garbage collection never removes it.
  - Supports check mode and diff.
version_added: "0.1.0"
author: CloudMart Lab maintainers
options:
  archive:
    description: Path of the archive on the node.
    type: path
    required: true
  ref:
    description:
      - The image reference the archive holds, as pods name it.
      - Short names are completed as Docker and containerd do (C(busybox) is C(docker.io/library/busybox:latest)).
      - Exactly one of O(ref) and O(refs) is given.
    type: str
  refs:
    description: Every image reference the archive holds, when it holds several.
    type: list
    elements: str
  sha256:
    description: The archive's sha256 (from the bundle manifest); it identifies the imported content.
    type: str
    required: true
  namespace:
    description: The containerd namespace; the kubelet's CRI uses C(k8s.io).
    type: str
    default: k8s.io
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Import the kube-proxy image
  cloudmart.lab.containerd_image:
    archive: /opt/cloudmart-lab/bundle/images/kube-proxy.tar
    ref: registry.k8s.io/kube-proxy:v1.37.2
    sha256: "{{ bundle.manifest.images['kube-proxy'].sha256 }}"

- name: Import the platform's images, saved together in one archive
  cloudmart.lab.containerd_image:
    archive: /opt/cloudmart-lab/platform/images/platform.tar
    refs: [localhost/cloudmart/user-service:0123456789ab, localhost/cloudmart/redis:ba9876543210]
    sha256: "{{ platform.manifest.images['redis'].sha256 }}"
"""

RETURN = r"""
ref:
  description: The (first) image reference, in the full form containerd stores.
  returned: always
  type: str
refs:
  description: Every image reference, in the full form containerd stores.
  returned: always
  type: list
  elements: str
imported:
  description: Whether the archive was imported in this run.
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cloudmart.lab.plugins.module_utils.image_refs import (
    ARCHIVE_LABEL,
    CRI_NAMESPACE,
    label_args,
    labels_of,
    normalize,
)


def image_labels(module: AnsibleModule, ctr: str, namespace: str, ref: str) -> dict[str, str] | None:
    """Labels of the image named ref, or None if containerd has no such image."""
    rc, out, err = module.run_command([ctr, "-n", namespace, "images", "ls", f"name=={ref}"])
    if rc != 0:
        module.fail_json(msg=f"cannot list images in containerd namespace {namespace}: {err.strip() or out.strip()}")
    return labels_of(out).get(ref)


def current_archive(module: AnsibleModule, ctr: str, namespace: str, ref: str) -> str | None:
    labels = image_labels(module, ctr, namespace, ref)
    return labels.get(ARCHIVE_LABEL) if labels is not None else None


def run_module(module: AnsibleModule) -> dict:
    params = module.params
    ctr = module.get_bin_path("ctr", required=True, opt_dirs=["/usr/local/bin"])
    refs = [normalize(ref) for ref in (params["refs"] or [params["ref"]])]
    namespace, wanted = params["namespace"], params["sha256"]
    before = {ref: current_archive(module, ctr, namespace, ref) for ref in refs}
    result = {
        "changed": any(current != wanted for current in before.values()),
        "ref": refs[0],
        "refs": refs,
        "imported": False,
        "diff": {
            "before": {ref: {ARCHIVE_LABEL: current} for ref, current in before.items()},
            "after": {ref: {ARCHIVE_LABEL: wanted} for ref in refs},
        },
    }
    if not result["changed"] or module.check_mode:
        return result
    rc, out, err = module.run_command([ctr, "-n", namespace, "images", "import", params["archive"]])
    if rc != 0:
        module.fail_json(msg=f"ctr could not import {params['archive']}: {err.strip() or out.strip()}")
    for ref in refs:
        if image_labels(module, ctr, namespace, ref) is None:
            module.fail_json(msg=f"archive {params['archive']} does not hold the image {ref}")
        rc, out, err = module.run_command([ctr, "-n", namespace, "images", "label", ref, *label_args(wanted)])
        if rc != 0:
            module.fail_json(msg=f"ctr could not label {ref}: {err.strip() or out.strip()}")
    result["imported"] = True
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "archive": {"type": "path", "required": True},
            "ref": {"type": "str"},
            "refs": {"type": "list", "elements": "str"},
            "sha256": {"type": "str", "required": True},
            "namespace": {"type": "str", "default": CRI_NAMESPACE},
        },
        required_one_of=[("ref", "refs")],
        mutually_exclusive=[("ref", "refs")],
        supports_check_mode=True,
    )
    module.exit_json(**run_module(module))


if __name__ == "__main__":
    main()
