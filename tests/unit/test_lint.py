"""Static checks: ruff, ansible-lint's production profile, the collection build, the Vagrantfile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cloudmart_lab.paths import REPO

TOOLS = Path(sys.executable).parent


def run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False, timeout=600
    )


def test_ruff_finds_nothing():
    lint = run(str(TOOLS / "ruff"), "check", ".")
    assert lint.returncode == 0, lint.stdout
    formatting = run(str(TOOLS / "ruff"), "format", "--check", ".")
    assert formatting.returncode == 0, formatting.stdout


def test_mypy_finds_nothing_in_the_toolkit_and_the_plugins():
    """Typed throughout (pyproject.toml's [tool.mypy]: untyped definitions refused); the plugins are
    checked as Ansible imports them, from the collection's place under .ansible/collections."""
    collection = REPO / ".ansible" / "collections" / "ansible_collections" / "cloudmart" / "lab" / "plugins"
    check = run(str(TOOLS / "mypy"), "cloudmart_lab", str(collection))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Success: no issues found" in check.stdout


def test_ansible_lint_production_profile_passes():
    lint = run(str(TOOLS / "ansible-lint"), "--profile", "production", "--nocolor")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "Profile 'production' was required, and it passed" in lint.stdout + lint.stderr


def test_the_collection_builds(tmp_path):
    build = run(str(TOOLS / "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path))
    assert build.returncode == 0, build.stdout + build.stderr
    assert (tmp_path / "cloudmart-lab-0.1.0.tar.gz").is_file()


@pytest.fixture
def prepared_state(tmp_path):
    """A state folder with a lab key, as `make lab` leaves it, so that the docker provider validates."""
    (tmp_path / "ssh").mkdir()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "ssh" / "id_ed25519")], check=True)
    (tmp_path / "lab.json").write_text('{"node_image": "localhost/cloudmart-lab/node:test"}')
    return tmp_path


@pytest.mark.parametrize("provider", ["docker", "libvirt", "virtualbox"])
def test_the_vagrantfile_validates_for_every_provider(provider, prepared_state, tmp_path):
    # Vagrant records of its own: with the lab's (.vagrant), a machine that exists is validated with
    # the provider that made it, whatever provider is asked for
    env = {
        "CLOUDMART_LAB_STATE": str(prepared_state),
        "VAGRANT_DEFAULT_PROVIDER": provider,
        "VAGRANT_CHECKPOINT_DISABLE": "1",
        "VAGRANT_DOTFILE_PATH": str(tmp_path / "vagrant-records"),
    }
    if provider == "libvirt" and "vagrant-libvirt" not in run("vagrant", "plugin", "list").stdout:
        pytest.skip("the vagrant-libvirt plugin is not installed on this machine: Vagrant cannot read its provider block")
    if provider == "virtualbox":
        # VirtualBox is not installed on the build machines; Vagrant only asks VBoxManage for its version here.
        fake = tmp_path / "fake-bin"
        fake.mkdir()
        (fake / "VBoxManage").write_text("#!/bin/sh\necho 7.0.20r163906\n")
        (fake / "VBoxManage").chmod(0o755)
        env["PATH"] = f"{fake}{os.pathsep}{os.environ['PATH']}"
    validate = run("vagrant", "validate", env=env)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert "Vagrantfile validated successfully" in validate.stdout


PLUGINS = [("module", path.stem) for path in sorted((REPO / "plugins" / "modules").glob("*.py")) if path.stem != "__init__"] + [
    ("inventory", "lab_nodes"),
    ("filter", "fault_plan"),
    ("filter", "chosen_scenarios"),
    ("filter", "scenario_order"),
    ("lookup", "scenarios"),
]


@pytest.mark.parametrize(("kind", "name"), PLUGINS)
def test_every_plugin_documentation_renders(kind: str, name: str):
    """ansible-doc reads it: a YAML slip (a colon in a sentence) leaves a plugin undocumented."""
    doc = run(str(TOOLS / "ansible-doc"), "--json", "-t", kind, f"cloudmart.lab.{name}")
    assert doc.returncode == 0 and "ERROR" not in doc.stderr, doc.stderr
    documented = json.loads(doc.stdout)[f"cloudmart.lab.{name}"]["doc"]
    assert all(isinstance(line, str) for line in documented["description"]), documented["description"]
    for option in documented.get("options", {}).values():
        text = option["description"]
        assert all(isinstance(line, str) for line in ([text] if isinstance(text, str) else text)), option
