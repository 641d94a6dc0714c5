"""What a scenario's testinfra tests know about it: its nodes, its state and its bundle.

Molecule runs the tests with the scenario's environment (.config/molecule/config.yml): the
settings create.yml wrote and the state the lab's launcher keeps. Cluster-level questions go to
kubectl on the control-plane node, as a learner logged in there would ask them.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import testinfra
import yaml

STATE = Path(os.environ["CLOUDMART_LAB_STATE"])
SETTINGS: dict[str, Any] = yaml.safe_load(Path(os.environ["CLOUDMART_LAB_SETTINGS"]).read_text())
LAB: dict[str, Any] = json.loads((STATE / "lab.json").read_text())
BUNDLE: dict[str, Any] = json.loads((Path(LAB["bundle_dir"]) / "manifest.json").read_text())
NODES: list[dict[str, Any]] = SETTINGS["nodes"]
CONTROL_PLANE: dict[str, Any] = next(node for node in NODES if node["role"] == "control_plane")
WORKERS: list[dict[str, Any]] = [node for node in NODES if node["role"] == "worker"]
# molecule's inventory folder: its own file beside a link to shared/inventory.yml
INVENTORY = str(Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent)
PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])


def playbook(name: str, **extravars: str) -> subprocess.CompletedProcess[str]:
    """One of the lab's root playbooks (verify.yml, solve.yml...) on the scenario's nodes."""
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", INVENTORY, name]
    for key, value in extravars.items():
        command += ["-e", f"{key}={value}"]
    return subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, check=False, timeout=1800)


def node(name: str) -> Any:
    """A node of the scenario over SSH, for a test that runs on another one."""
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=INVENTORY)


def control_plane_host() -> Any:
    return node(CONTROL_PLANE["name"])


def kubectl(host: Any, *args: str) -> str:
    """kubectl on the control-plane node with the admin kubeconfig kubeadm wrote there."""
    return host.check_output("kubectl --kubeconfig /etc/kubernetes/admin.conf " + shlex.join(args))


def kubectl_json(host: Any, *args: str) -> dict[str, Any]:
    return json.loads(kubectl(host, *args, "-o", "json"))
