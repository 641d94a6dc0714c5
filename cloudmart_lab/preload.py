"""The node image with the bundles' images already in containerd (kind's way of starting fast).

A container of the node image runs the bundle's own containerd and imports every image archive of
the bundles into its content store, without unpacking (containerd unpacks an image the first time
a pod runs it), each image labelled with its archive's sha256 exactly as the node role's
containerd_image module labels what it imports. The container is then committed as the preloaded
image. A node container's /var/lib/containerd is an anonymous volume, which Docker fills from the
image at that path: every node starts with the images, and the node role, which still checks each
image's label against the bundle's manifest, neither copies nor imports them again.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import subprocess
from pathlib import Path

from cloudmart_lab import docker, module_utils
from cloudmart_lab.bundle import manifest as bundle_manifest
from cloudmart_lab.shell import run

refs = module_utils.load("image_refs")
REPOSITORY = "localhost/cloudmart-lab/node-preloaded"
# where the builder container sees each bundle
MOUNT = "/preload/bundle-{index}"
CONTAINERD_ROOT = "/var/lib/containerd"
SOCKET = "/run/containerd/containerd.sock"


def tag(node_image: str, bundles: list[Path]) -> str:
    """The preloaded image's name: it changes with the node image and with any archive."""
    digest = hashlib.sha256(node_image.encode())
    for root in bundles:
        for relative, entry in sorted(bundle_manifest.load(root).files.items()):
            digest.update(f"{relative}={entry['sha256']}\n".encode())
    return f"{REPOSITORY}:{digest.hexdigest()[:12]}"


def import_script(bundles: list[Path]) -> str:
    """The shell commands run in the builder: start containerd, import and label every archive, stop it."""
    kubernetes = bundle_manifest.load(bundles[0])
    containerd = f"{MOUNT.format(index=0)}/{kubernetes.binaries['containerd']}"
    ctr = f"{MOUNT.format(index=0)}/{kubernetes.binaries['ctr']} --address {SOCKET} -n {refs.CRI_NAMESPACE}"
    lines = [
        "set -eu",
        f"{containerd} --root {CONTAINERD_ROOT} --address {SOCKET} --log-level error &",
        "daemon=$!",
        f"for _ in $(seq 100); do [ -S {SOCKET} ] && break; sleep 0.1; done",
    ]
    for index, root in enumerate(bundles):
        loaded = bundle_manifest.load(root)
        by_archive: dict[str, list[str]] = {}
        for image in loaded.images.values():
            by_archive.setdefault(image["archive"], []).append(refs.normalize(image["ref"]))
        for archive, names in sorted(by_archive.items()):
            path = f"{MOUNT.format(index=index)}/{archive}"
            labels = " ".join(shlex.quote(label) for label in refs.label_args(loaded.files[archive]["sha256"]))
            lines.append(f"{ctr} images import --no-unpack {shlex.quote(path)} >/dev/null")
            lines += [f"{ctr} images label {shlex.quote(name)} {labels} >/dev/null" for name in names]
    lines += ["kill -TERM $daemon", "wait $daemon || true"]
    return "\n".join(lines)


def ensure(node_image: str, bundles: list[Path], log: Path) -> str:
    """The preloaded node image for these bundles (the Kubernetes bundle first), built if missing."""
    ref = tag(node_image, bundles)
    if docker.image_exists(ref):
        return ref
    builder = f"cloudmart-lab-preload-{ref.rsplit(':', 1)[1]}"
    subprocess.run(["docker", "rm", "--force", builder], capture_output=True, check=False)
    mounts = [arg for index, root in enumerate(bundles) for arg in ("--volume", f"{root}:{MOUNT.format(index=index)}:ro")]
    # containerd's state and socket on tmpfs, so that only its content store is committed
    idle = ["--entrypoint", "sleep", "--tmpfs", "/run", "--tmpfs", "/tmp", *mounts, node_image, "infinity"]
    run(["docker", "run", "--detach", "--name", builder, *idle], log=log, what="start the preloading container")
    config = docker.image_config(node_image)
    # the builder ran sleep: the committed image starts as the node image does
    changes = [f"ENTRYPOINT {json.dumps(config.get('Entrypoint') or [])}", f"CMD {json.dumps(config.get('Cmd') or [])}"]
    try:
        script = import_script(bundles)
        run(["docker", "exec", "-i", builder, "sh"], input_text=script, log=log, what="import the images into containerd")
        commit = ["docker", "commit", *(arg for change in changes for arg in ("--change", change)), builder, ref]
        run(commit, log=log, what=f"docker commit {ref}")
    finally:
        subprocess.run(["docker", "rm", "--force", builder], capture_output=True, check=False)
    return ref
