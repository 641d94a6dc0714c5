"""The few Docker engine operations the bundle and the node images need."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cloudmart_lab.shell import run


def image_exists(ref: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", ref], capture_output=True, check=False).returncode == 0


def image_config(ref: str) -> dict[str, Any]:
    """The image's run configuration (its Entrypoint, Cmd, Env and the rest)."""
    config: dict[str, Any] = json.loads(
        run(["docker", "image", "inspect", "--format", "{{json .Config}}", ref], what="docker image inspect")
    )
    return config


def build(
    context: Path, tag: str, *, dockerfile: Path | None = None, build_args: Mapping[str, str] | None = None, log: Path
) -> None:
    command: list[str] = ["docker", "build", "--quiet", "--tag", tag]
    if dockerfile is not None:
        command += ["--file", str(dockerfile)]
    for key, value in (build_args or {}).items():
        command += ["--build-arg", f"{key}={value}"]
    run([*command, str(context)], log=log, what=f"docker build {tag}")


def save(refs: list[str], archive: Path, *, log: Path) -> None:
    """One archive of several images: the layers they share are stored once."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    partial = archive.with_suffix(archive.suffix + ".partial")
    run(["docker", "save", "--output", str(partial), *refs], log=log, what=f"docker save {', '.join(refs)}")
    partial.replace(archive)


def load(archive: Path, *, log: Path) -> None:
    run(["docker", "load", "--input", str(archive)], log=log, what=f"docker load {archive.name}")


NODE_LABEL = "io.cloudmart.lab.node"
# the checkout whose Vagrantfile made the node (the Vagrantfile sets both labels)
CHECKOUT_LABEL = "io.cloudmart.lab.checkout"


def remove_lab_nodes(log: Path) -> int:
    """Remove every lab node container on this engine (any checkout), with its anonymous volumes."""
    ids = run(["docker", "ps", "--all", "--quiet", "--filter", f"label={NODE_LABEL}"], what="docker ps").split()
    if ids:
        run(["docker", "rm", "--force", "--volumes", *ids], log=log, what="docker rm")
    return len(ids)


def remove_unused_vagrant_networks(log: Path) -> list[str]:
    names = run(
        ["docker", "network", "ls", "--filter", "name=vagrant_network", "--format", "{{.Name}}"], what="docker network ls"
    )
    removed = []
    for name in names.split():
        if subprocess.run(["docker", "network", "rm", name], capture_output=True, check=False).returncode == 0:
            removed.append(name)
    return removed


def remove_images_labelled(label: str, value: str, *, keep: str) -> list[str]:
    """Remove the images whose label has this value, all but `keep`; an image a container still
    uses stays (docker refuses to remove it)."""
    listed = run(
        ["docker", "image", "ls", "--filter", f"label={label}={value}", "--format", "{{.Repository}}:{{.Tag}}"],
        what="docker image ls",
    )
    removed = []
    for ref in listed.split():
        if ref != keep and subprocess.run(["docker", "image", "rm", ref], capture_output=True, check=False).returncode == 0:
            removed.append(ref)
    return removed
