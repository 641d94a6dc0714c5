"""Every role has a molecule scenario that converges it and tests it, and the README lists them all."""

from __future__ import annotations

import re

import yaml

from cloudmart_lab.paths import REPO

ROLES = sorted(path.name for path in (REPO / "roles").iterdir() if (path / "tasks").is_dir())
SCENARIOS = sorted(path.parent.name for path in (REPO / "molecule").glob("*/molecule.yml"))


def converged_by(scenario: str) -> str:
    return (REPO / "molecule" / scenario / "converge.yml").read_text()


def test_every_role_is_converged_and_tested_by_a_scenario():
    for role in ROLES:
        scenario = role
        assert scenario in SCENARIOS, f"no molecule scenario for the {role} role"
        assert list((REPO / "molecule" / scenario / "tests").glob("test_*.py")), f"{scenario} has no testinfra tests"
    for role in set(ROLES) - {"faults", "platform", "verify", "challenge"}:
        assert f"cloudmart.lab.{role}" in converged_by(role)
    assert "playbooks/platform.yml" in converged_by("platform")
    full = yaml.safe_load((REPO / "molecule" / "platform_full" / "molecule.yml").read_text())
    assert "playbooks/platform.yml" in converged_by("platform_full")
    assert full["ansible"]["env"]["MOLECULE_CLOUDMART_PROFILE"] == "full"
    assert "playbooks/verify.yml" in converged_by("verify")
    assert "playbooks/break.yml" in converged_by("faults")
    assert "playbooks/challenge.yml" in converged_by("challenge")
    assert "playbooks/break.yml" in converged_by("default")


def test_every_scenario_describes_its_nodes_as_settings_yml_does():
    for scenario in SCENARIOS:
        platforms = yaml.safe_load((REPO / "molecule" / scenario / "molecule.yml").read_text())["platforms"]
        groups = [platform["groups"] for platform in platforms]
        assert groups.count(["control_plane"]) == 1, scenario
        assert all(group in (["control_plane"], ["workers"]) for group in groups), scenario
        assert all({"name", "ip", "cpus", "memory_mib"} <= set(platform) for platform in platforms), scenario
        assert all(platform["ip"].startswith("10.78.0.") for platform in platforms), f"{scenario} must stay off the lab's network"


def test_the_readme_lists_every_scenario():
    readme = (REPO / "README.md").read_text()
    listed = set(re.findall(r"^\| `([a-z_]+)` \| control plane", readme, re.MULTILINE))
    assert listed == set(SCENARIOS)
