"""The node image with the bundles' images already in containerd (kind's way of starting fast).

A container of the node image runs the bundle's own containerd and imports every image archive of
the bundles into its content store, without unpacking (containerd unpacks an image the first time
a pod runs it), each image labelled with its archive's sha256 exactly as the node role's
containerd_image module labels what it imports. The container is then committed as the preloaded
image, with the content store moved out of /var/lib/containerd: a node container's
/var/lib/containerd is an anonymous volume, which Docker fills from the image at that path (here
only containerd's metadata, a few megabytes), and the node entrypoint bind-mounts the image's content
store into it. Every node starts with the images, and the node role, which still checks each
image's label against the bundle's manifest, neither copies nor imports them again.

The builder also stages the Kubernetes bundle's files and links its binaries exactly where and as
the node role does (roles/node/tasks/bundle.yml), so the role finds them unchanged. Beyond the
seconds that saves, those files then sit in an image layer every node shares: the kernel caches
them once for all nodes, where copies made on each node were cached once per node.
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
rules = bundle_manifest.rules
REPOSITORY = "localhost/cloudmart-lab/node-preloaded"
# where the builder container sees each bundle
MOUNT = "/preload/bundle-{index}"
CONTAINERD_ROOT = "/var/lib/containerd"
# where the committed image keeps the content store; the node entrypoint (images/node/entrypoint)
# bind-mounts it back into containerd's root, so Docker copies only the metadata into each node's
# /var/lib/containerd volume and every node shares one copy of the layers
PRELOADED_CONTENT = "/var/lib/containerd-preloaded/content"
CONTENT_STORE = f"{CONTAINERD_ROOT}/io.containerd.content.v1.content"
SOCKET = "/run/containerd/containerd.sock"
# roles/node/defaults/main.yml's node_bundle_stage_dir, and where bundle.yml installs from it
STAGE_DIR = "/opt/cloudmart-lab/bundle"
BINARY_DIR = "/usr/local/bin"
CNI_DIR = "/opt/cni/bin"
# which bundles an image holds ("kubernetes+platform"): a newer image of the same set replaces it
SET_LABEL = "io.cloudmart.lab.preload"


def tag(node_image: str, bundles: list[Path]) -> str:
    """The preloaded image's name: it changes with the node image, with any file and with the recipe."""
    digest = hashlib.sha256(node_image.encode())
    digest.update(import_script(bundles).encode())
    for root in bundles:
        for relative, entry in sorted(bundle_manifest.load(root).files.items()):
            digest.update(f"{relative}={entry['sha256']}\n".encode())
    return f"{REPOSITORY}:{digest.hexdigest()[:12]}"


def install_lines(kubernetes: bundle_manifest.Manifest) -> list[str]:
    """Stage the bundle as sync.yml does (every file but logs and image archives, rsync -a) and link
    its binaries and CNI plugins into place as bundle.yml does."""
    source = MOUNT.format(index=0)
    excluded = ["*.log", rules.VERIFIED, *sorted({image["archive"] for image in kubernetes.images.values()})]
    rsync = ["rsync", "--archive", "--delete", *(f"--exclude={pattern}" for pattern in excluded), f"{source}/", f"{STAGE_DIR}/"]
    lines = [f"mkdir -p {STAGE_DIR} {CNI_DIR}", shlex.join(rsync)]
    for folder, files in ((BINARY_DIR, kubernetes.binaries), (CNI_DIR, kubernetes.cni_plugins)):
        lines += [shlex.join(["ln", "-sfn", f"{STAGE_DIR}/{path}", f"{folder}/{name}"]) for name, path in sorted(files.items())]
    return lines


def import_script(bundles: list[Path]) -> str:
    """The shell commands run in the builder: stage and link the binaries, start containerd,
    import and label every archive, stop it."""
    kubernetes = bundle_manifest.load(bundles[0])
    containerd = f"{MOUNT.format(index=0)}/{kubernetes.binaries['containerd']}"
    ctr = f"{MOUNT.format(index=0)}/{kubernetes.binaries['ctr']} --address {SOCKET} -n {refs.CRI_NAMESPACE}"
    lines = [
        "set -eu",
        *install_lines(kubernetes),
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
    lines += [
        "kill -TERM $daemon",
        "wait $daemon || true",
        f"mkdir -p {PRELOADED_CONTENT.rsplit('/', 1)[0]}",
        f"mv {CONTENT_STORE} {PRELOADED_CONTENT}",
        f"mkdir {CONTENT_STORE}",
    ]
    return "\n".join(lines)


def bundle_set(bundles: list[Path]) -> str:
    """The kinds of bundle an image holds: each bundle folder is named <kind>-<version>."""
    return "+".join(root.name.split("-", 1)[0] for root in bundles)


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
    changes = [
        f"ENTRYPOINT {json.dumps(config.get('Entrypoint') or [])}",
        f"CMD {json.dumps(config.get('Cmd') or [])}",
        f"LABEL {SET_LABEL}={bundle_set(bundles)}",
    ]
    try:
        script = import_script(bundles)
        run(["docker", "exec", "-i", builder, "sh"], input_text=script, log=log, what="import the images into containerd")
        commit = ["docker", "commit", *(arg for change in changes for arg in ("--change", change)), builder, ref]
        run(commit, log=log, what=f"docker commit {ref}")
    finally:
        subprocess.run(["docker", "rm", "--force", builder], capture_output=True, check=False)
    return ref


def remove_outdated(bundles: list[Path], keep: str) -> list[str]:
    """Remove the older preloaded images of the same set of bundles (each is several GB)."""
    return docker.remove_images_labelled(SET_LABEL, bundle_set(bundles), keep=keep)
