#!/usr/bin/python
# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""Read (and check) the Kubernetes bundle a lab installs from."""

from __future__ import annotations

DOCUMENTATION = r"""
module: bundle_info
short_description: Read and check a CloudMart Lab Kubernetes bundle
description:
  - "Reads the C(manifest.json) of a bundle folder on the machine the module runs on (normally
    the controller, with C(delegate_to: localhost)) and returns what it holds."
  - With I(verify), every file is checked against the sha256 the manifest records, so a
    corrupt or altered bundle is refused before any node installs from it.
  - Reads only; supports check mode.
version_added: "0.1.0"
author: CloudMart Lab maintainers
options:
  path:
    description: The bundle folder, as printed by C(make bundle).
    type: path
    required: true
  verify:
    description: Check every file against its recorded sha256.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Check the bundle before nodes install from it
  cloudmart.lab.bundle_info:
    path: "{{ lab_bundle_dir }}"
  delegate_to: localhost
  run_once: true
  register: bundle
"""

RETURN = r"""
manifest:
  description: The bundle's manifest.
  returned: success
  type: dict
  contains:
    kubernetes_version:
      description: The Kubernetes release of the bundle, without a leading v.
      type: str
      sample: "1.37.2"
    source:
      description: How the bundle was made, C(build) or C(download).
      type: str
      sample: build
    components:
      description: Version of every component.
      type: dict
      sample: {"containerd": "v2.3.7", "etcd": "v3.7.0"}
    binaries:
      description: Host binaries, by name, with their path inside the bundle.
      type: dict
    cni_plugins:
      description: CNI plugins, by name, with their path inside the bundle.
      type: dict
    images:
      description: Container images, by name, each with its C(ref), C(archive) and the archive's C(sha256).
      type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cloudmart.lab.plugins.module_utils.bundle_manifest import BundleError, load, verify


def describe(path: str, check_files: bool) -> dict:
    manifest = verify(path) if check_files else load(path)
    for image in manifest["images"].values():
        image["sha256"] = manifest["files"][image["archive"]]["sha256"]
    return manifest


def main() -> None:
    module = AnsibleModule(
        argument_spec={"path": {"type": "path", "required": True}, "verify": {"type": "bool", "default": True}},
        supports_check_mode=True,
    )
    try:
        manifest = describe(module.params["path"], module.params["verify"])
    except BundleError as err:
        module.fail_json(msg=str(err))
    module.exit_json(changed=False, manifest=manifest)


if __name__ == "__main__":
    main()
