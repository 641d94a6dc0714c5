# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""Options every module that talks to the Kubernetes API shares."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  kubeconfig:
    description: Path of the lab cluster's kubeconfig on the host the module runs on (the controller).
    type: path
    required: true
requirements:
  - kubernetes (the Python client, from requirements.txt)
"""
