"""The Ansible inventory of a workshop on existing machines (placement: hosts), in the shape of
inventory/workshop.example.yml: groups control_plane and workers, and cluster_<learner> per learner."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from cloudmart_lab.errors import LabError
from cloudmart_lab.paths import REPO, state_dir
from cloudmart_lab.workshop import CLUSTERS_FOLDER, Workshop

# Where the inventory is meant to live, as the example's `-i inventory/workshop.yml` has it.
INVENTORY_DIR = REPO / "inventory"


def inventory(workshop: Workshop, state_root: str = "{{ inventory_dir }}/../.lab") -> dict[str, Any]:
    """The inventory as data; state_root: the lab's state folder as the inventory names it."""
    if workshop.placement != "hosts":
        raise LabError(
            f"{workshop.source}: placement {workshop.placement} has no inventory to write "
            "(its nodes are containers on this server); only placement hosts has one"
        )
    control_plane: dict[str, Any] = {}
    workers: dict[str, Any] = {}
    children: dict[str, Any] = {"control_plane": {"hosts": control_plane}, "workers": {"hosts": workers}}
    for cluster in workshop.clusters:
        for node in cluster.nodes:
            group = control_plane if node.role == "control_plane" else workers
            group[node.name] = {"ansible_host": node.ip, "lab_node_ip": node.ip}
        children[f"cluster_{cluster.learner}"] = {
            "vars": {
                "lab_cluster": cluster.learner,
                "lab_kubeconfig": f"{state_root}/{CLUSTERS_FOLDER}/{cluster.learner}/kubeconfig",
            },
            "hosts": {node.name: None for node in cluster.nodes},
        }
    return {
        "all": {
            "vars": {
                "ansible_user": workshop.ssh_user,
                "ansible_ssh_private_key_file": workshop.ssh_key,
                "lab_pod_cidr": workshop.pod_cidr,
                "lab_service_cidr": workshop.service_cidr,
                # the roles' defaults are the single lab's: a workshop's own choice must reach them
                "lab_platform": workshop.platform,
                "lab_platform_profile": workshop.platform_profile,
            },
            "children": children,
        }
    }


def state_root_from(inventory_dir: Path) -> str:
    """The state folder as an inventory in inventory_dir names it: relative while both are in the
    repository, so that the inventory keeps working in another clone, else absolute."""
    state = state_dir().resolve()
    inventory_dir = inventory_dir.resolve()
    if state.is_relative_to(REPO) and inventory_dir.is_relative_to(REPO):
        return "{{ inventory_dir }}/" + os.path.relpath(state, inventory_dir)
    return str(state)


class _Dumper(yaml.SafeDumper):
    """Writes a host's variables on one line and a group's bare host names without `null`, as a
    hand-written inventory (inventory/workshop.example.yml) has them."""


def _represent_mapping(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style="ansible_host" in data)


def _represent_none(dumper: yaml.SafeDumper, data: None) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:null", "")


_Dumper.add_representer(dict, _represent_mapping)
_Dumper.add_representer(type(None), _represent_none)


def to_yaml(data: dict[str, Any], source: str) -> str:
    header = (
        f"# Written by `python -m cloudmart_lab workshop inventory` from {source}: change that file and write\n"
        "# this one again rather than editing it.\n"
    )
    return header + yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=130)
