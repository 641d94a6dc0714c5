"""Each learner's own settings.yml on one server, made from the workshop file: the lab's settings
with the learner's nodes, network and platform. The Vagrantfile, the inventory and the toolkit read
it as they read the single lab's, pointed at it by the environment of `environment()`, so every
learner's cluster is brought up, provisioned and checked by the same code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from cloudmart_lab import settings
from cloudmart_lab.workshop import LearnerCluster, Workshop

SETTINGS_NAME = "settings.yml"
HEADER = "# Made by `python -m cloudmart_lab workshop` from {source} for {learner}; edit the workshop file instead.\n"


def settings_of(cluster: LearnerCluster, workshop: Workshop, lab: settings.Settings) -> dict[str, Any]:
    """The learner's settings, in settings.yml's own shape (placement one-server: workshop_up.chosen)."""
    return {
        "kubernetes_version": lab.kubernetes_version,
        "network": {"cidr": cluster.network, "pod_cidr": workshop.pod_cidr, "service_cidr": workshop.service_cidr},
        "nodes": [
            {"name": node.name, "role": node.role, "ip": node.ip, "cpus": node.cpus, "memory_mib": node.memory_mib}
            for node in cluster.nodes
        ],
        "platform": workshop.platform,
        "platform_profile": workshop.platform_profile,
        "preload_images": lab.preload_images,
        "boxes": dict(lab.boxes),
        # the learner reaches their cluster from their own machine through these ports of the server
        "published_ports": [
            {"host_port": port.host_port, "node": port.node, "node_port": port.node_port} for port in cluster.ports
        ],
    }


def write(cluster: LearnerCluster, workshop: Workshop, lab: settings.Settings) -> Path:
    """Write the learner's settings.yml into their state folder, checked as settings.yml is."""
    content = settings_of(cluster, workshop, lab)
    settings.parse(content, source=f"{cluster.learner}'s settings")
    cluster.state_folder.mkdir(parents=True, exist_ok=True)
    path = cluster.state_folder / SETTINGS_NAME
    path.write_text(HEADER.format(source=workshop.source, learner=cluster.learner) + yaml.safe_dump(content, sort_keys=False))
    return path


def environment(cluster: LearnerCluster) -> dict[str, str]:
    """What points the toolkit, the Vagrantfile and Vagrant at the learner's cluster alone: their
    settings, their state folder (SSH key, kubeconfig, bundle choice) and Vagrant's machine records."""
    folder = cluster.state_folder
    return {
        "CLOUDMART_LAB_SETTINGS": str(folder / SETTINGS_NAME),
        "CLOUDMART_LAB_STATE": str(folder),
        "VAGRANT_DOTFILE_PATH": str(folder / ".vagrant"),
    }
