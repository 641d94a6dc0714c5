# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""Inventory of the Vagrant lab, read from the lab's settings file and state file."""

from __future__ import annotations

DOCUMENTATION = r"""
name: lab_nodes
short_description: The Vagrant lab's nodes, from settings.yml
description:
  - Builds the inventory of the lab that C(vagrant up) makes, from the same C(settings.yml) the
    Vagrantfile reads, so node names, addresses and sizes are defined once.
  - Hosts go into the groups C(control_plane) and C(workers), both children of C(cluster_<name>).
  - C(lab_platform) is false for a bare cluster, whose settings set C(platform) to false;
    C(lab_platform_profile) is the settings' C(platform_profile) (C(lite) unless set).
  - Connection details (the lab's own SSH key, root over the private network) and the bundle the
    lab was prepared with come from the state file C(make lab) writes.
options:
  plugin:
    description: The name of this plugin; the inventory file must say C(cloudmart.lab.lab_nodes).
    required: true
    choices: [cloudmart.lab.lab_nodes]
  settings_file:
    description: The lab's settings file, relative to the inventory file (to its target, if it is a link).
    type: str
    default: ../settings.yml
    env:
      - name: CLOUDMART_LAB_SETTINGS
  state_file:
    description:
      - The state file C(make lab) writes, relative to the inventory file.
      - When not given, C(lab.json) in the folder C(CLOUDMART_LAB_STATE) names, else C(../.lab/lab.json).
    type: str
  cluster:
    description: Name of the cluster these nodes form (the C(lab_cluster) variable).
    type: str
    default: lab
"""

EXAMPLES = r"""
# inventory/vagrant.yml
plugin: cloudmart.lab.lab_nodes
settings_file: ../settings.yml
"""

import json
import os
from typing import Any

import yaml
from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin
from ansible.template import trust_as_template

GROUP_OF_ROLE = {"control_plane": "control_plane", "worker": "workers"}


class InventoryModule(BaseInventoryPlugin):
    NAME = "cloudmart.lab.lab_nodes"

    def verify_file(self, path: str) -> bool:
        # molecule links the file under another name: the target's name counts
        return super().verify_file(path) and os.path.realpath(path).endswith((".yml", ".yaml"))

    def _set(self, entity: str, name: str, value: Any) -> None:
        # The settings and state files are the lab's own configuration, as trusted as an inventory
        # file: mark their strings so (otherwise ansible-inventory exports them as unsafe objects).
        self.inventory.set_variable(entity, name, trust_as_template(value) if isinstance(value, str) else value)

    def parse(self, inventory: Any, loader: Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        # relative to the file itself, also when it is reached through a link (molecule links it)
        base = os.path.dirname(os.path.realpath(path))
        settings_path = os.path.normpath(os.path.join(base, self.get_option("settings_file")))
        state_file = self.get_option("state_file") or os.path.join(os.environ.get("CLOUDMART_LAB_STATE", "../.lab"), "lab.json")
        state_path = os.path.normpath(os.path.join(base, state_file))
        settings = self._load_yaml(settings_path)
        state = self._load_state(state_path)
        cluster = self.get_option("cluster")
        cluster_group = self.inventory.add_group(f"cluster_{cluster}")
        self._set(cluster_group, "lab_cluster", cluster)
        self._set(cluster_group, "lab_settings_file", settings_path)
        self._set(cluster_group, "lab_kubernetes_version", str(settings.get("kubernetes_version", "")))
        self._set(cluster_group, "lab_pod_cidr", settings.get("network", {}).get("pod_cidr", "10.244.0.0/16"))
        self._set(cluster_group, "lab_service_cidr", settings.get("network", {}).get("service_cidr", "10.96.0.0/12"))
        self._set(cluster_group, "ansible_user", "root")
        self._set(cluster_group, "lab_platform", bool(settings.get("platform", True)))
        self._set(cluster_group, "lab_platform_profile", str(settings.get("platform_profile", "lite")))
        if state:
            self._set(cluster_group, "lab_bundle_dir", state["bundle_dir"])
            self._set(cluster_group, "lab_kubeconfig", state["kubeconfig"])
            self._set(cluster_group, "ansible_ssh_private_key_file", state["ssh_private_key"])
            self._set(cluster_group, "lab_platform_bundle_dir", state.get("platform_bundle_dir", ""))
            self._set(cluster_group, "lab_secrets_dir", state.get("secrets_dir", ""))
        for role_group in GROUP_OF_ROLE.values():
            self.inventory.add_group(role_group)
            self.inventory.add_child(cluster_group, role_group)
        for node in settings.get("nodes") or []:
            if node.get("role") not in GROUP_OF_ROLE:
                raise AnsibleParserError(f"{settings_path}: node {node.get('name')!r} has unknown role {node.get('role')!r}")
            name = node["name"]
            self.inventory.add_host(name, group=GROUP_OF_ROLE[node["role"]])
            self._set(name, "ansible_host", node["ip"])
            self._set(name, "lab_node_ip", node["ip"])
            self._set(name, "lab_node_cpus", node["cpus"])
            self._set(name, "lab_node_memory_mib", node["memory_mib"])

    @staticmethod
    def _load_yaml(path: str) -> dict[str, Any]:
        try:
            with open(path, encoding="utf-8") as stream:
                data = yaml.safe_load(stream)
        except OSError as err:
            raise AnsibleParserError(f"lab settings file {path} cannot be read: {err.strerror}") from None
        except yaml.YAMLError as err:
            raise AnsibleParserError(f"lab settings file {path} is not valid YAML: {err}") from None
        if not isinstance(data, dict):
            raise AnsibleParserError(f"lab settings file {path} must be a mapping")
        return data

    @staticmethod
    def _load_state(path: str) -> dict[str, Any] | None:
        try:
            with open(path, encoding="utf-8") as stream:
                return json.load(stream)
        except FileNotFoundError:
            return None  # not prepared yet: hosts are listed, connection details come with `make lab`
        except (OSError, ValueError) as err:
            raise AnsibleParserError(f"lab state file {path} cannot be read ({err}); run: make lab") from None
