"""The lab_nodes inventory plugin, through ansible-inventory, on settings files of the tests' own."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import yaml

from cloudmart_lab.paths import REPO


def inventory(tmp_path: Path, **changes: Any) -> dict[str, Any]:
    settings = yaml.safe_load((REPO / "settings.yml").read_text())
    settings.update(changes)
    (tmp_path / "settings.yml").write_text(yaml.safe_dump(settings))
    env = {**os.environ, "CLOUDMART_LAB_SETTINGS": str(tmp_path / "settings.yml"), "CLOUDMART_LAB_STATE": str(tmp_path)}
    done = subprocess.run(
        ["ansible-inventory", "-i", "inventory/vagrant.yml", "--list"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout)


def cluster_vars(found: dict[str, Any]) -> dict[str, Any]:
    return found["_meta"]["hostvars"][found["control_plane"]["hosts"][0]]


def test_the_nodes_and_their_groups_come_from_the_settings(tmp_path: Path):
    found = inventory(tmp_path)
    settings = yaml.safe_load((REPO / "settings.yml").read_text())
    assert found["control_plane"]["hosts"] == [n["name"] for n in settings["nodes"] if n["role"] == "control_plane"]
    assert found["workers"]["hosts"] == [n["name"] for n in settings["nodes"] if n["role"] == "worker"]
    assert cluster_vars(found)["lab_kubernetes_version"] == settings["kubernetes_version"]


def test_the_platform_and_its_profile_reach_the_roles(tmp_path: Path):
    lite = cluster_vars(inventory(tmp_path))
    assert (lite["lab_platform"], lite["lab_platform_profile"]) == (True, "lite")
    full = cluster_vars(inventory(tmp_path, platform_profile="full"))
    assert full["lab_platform_profile"] == "full"
