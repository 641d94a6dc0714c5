#!/usr/bin/python
# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""Tell which of a bundle's image archives a node's containerd holds already."""

from __future__ import annotations

DOCUMENTATION = r"""
module: containerd_images_info
short_description: Tell which of a bundle's image archives containerd holds already
description:
  - Lists the images of containerd's namespace and tells, for each archive of O(images), whether
    every image it holds is there, labelled by M(cloudmart.lab.containerd_image) (or by the lab's
    preloaded node image) with that very archive's sha256.
  - An archive containerd holds need not be copied to the node again.
  - Where containerd is not installed or not running yet, no archive is held.
  - Changes nothing; runs in check mode too.
version_added: "0.4.0"
author: CloudMart Lab maintainers
options:
  images:
    description:
      - The bundle's images by name, each with its C(ref), C(archive) and the archive's C(sha256),
        as M(cloudmart.lab.bundle_info) returns them.
    type: dict
    required: true
  namespace:
    description: The containerd namespace; the kubelet's CRI uses C(k8s.io).
    type: str
    default: k8s.io
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Ask containerd which archives it holds
  cloudmart.lab.containerd_images_info:
    images: "{{ bundle.manifest.images }}"
  register: held
"""

RETURN = r"""
running:
  description: Whether containerd answered.
  returned: always
  type: bool
imported_archives:
  description: The archives (paths in the bundle) whose every image containerd holds from that archive.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cloudmart.lab.plugins.module_utils.image_refs import CRI_NAMESPACE, imported_archives, labels_of


def run_module(module: AnsibleModule) -> dict:
    ctr = module.get_bin_path("ctr", opt_dirs=["/usr/local/bin"])
    if ctr is None:
        return {"changed": False, "running": False, "imported_archives": []}
    rc, out, _ = module.run_command([ctr, "-n", module.params["namespace"], "images", "ls"])
    if rc != 0:
        return {"changed": False, "running": False, "imported_archives": []}
    return {"changed": False, "running": True, "imported_archives": imported_archives(module.params["images"], labels_of(out))}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "images": {"type": "dict", "required": True},
            "namespace": {"type": "str", "default": CRI_NAMESPACE},
        },
        supports_check_mode=True,
    )
    module.exit_json(**run_module(module))


if __name__ == "__main__":
    main()
