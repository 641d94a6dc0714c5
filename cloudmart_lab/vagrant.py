"""Driving Vagrant for the lab: its environment and the commands the toolkit runs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from cloudmart_lab.errors import LabError
from cloudmart_lab.paths import REPO, state_dir
from cloudmart_lab.shell import require


def env() -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    variables = {
        **os.environ,
        "VAGRANT_CHECKPOINT_DISABLE": "1",
        "VAGRANT_DEFAULT_PROVIDER": os.environ.get("VAGRANT_DEFAULT_PROVIDER", "docker"),
        # the Ansible provisioner must find this toolkit's ansible-playbook and its Python
        "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", "")]),
    }
    if "CLOUDMART_LAB_STATE" in os.environ:
        # another lab beside the default one (a molecule scenario's nodes): Vagrant's own records
        # of its machines live with that lab's state, so neither lab's commands see the other's
        variables["VAGRANT_DOTFILE_PATH"] = str(state_dir() / "vagrant")
    return variables


def run(args: Sequence[str], *, what: str) -> None:
    """Run vagrant with its output going straight to the terminal (its own progress)."""
    vagrant = require("vagrant", "install it with apt-get install vagrant (or from vagrantup.com)")
    done = subprocess.run([vagrant, *args], cwd=REPO, env=env(), check=False)
    if done.returncode != 0:
        raise LabError(f"{what} failed (vagrant exit {done.returncode}); its output above says why")


def capture(args: Sequence[str]) -> str:
    vagrant = require("vagrant", "install it with apt-get install vagrant (or from vagrantup.com)")
    done = subprocess.run([vagrant, *args], cwd=REPO, env=env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise LabError(f"vagrant {' '.join(args)} failed: {done.stderr.strip().splitlines()[-1:] or 'no output'}")
    return done.stdout
