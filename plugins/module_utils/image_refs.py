# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""How the lab names and marks the images it puts into containerd.

Plain Python with no Ansible imports: the containerd modules use it on the nodes, and the lab's
toolkit uses it when it preloads the node image, so both mark an imported archive the same way.
"""

from __future__ import annotations

# The sha256 of the archive an image came from: the same archive is never imported twice.
ARCHIVE_LABEL = "cloudmart.lab/archive-sha256"
# The kubelet's image garbage collection never removes a pinned image.
PINNED_LABEL = "io.cri-containerd.pinned"
# The namespace the kubelet's CRI reads.
CRI_NAMESPACE = "k8s.io"


def normalize(ref: str) -> str:
    """The full name containerd stores a ref under (docker.io/library/ added as Docker does)."""
    first, _, rest = ref.partition("/")
    if not rest:
        ref = f"docker.io/library/{ref}"
    elif "." not in first and ":" not in first and first != "localhost":
        ref = f"docker.io/{ref}"
    last = ref.rsplit("/", 1)[-1]
    return ref if ":" in last or "@" in last else f"{ref}:latest"


def labels_of(listing: str) -> dict[str, dict[str, str]]:
    """Each image's labels, by ref, read from the output of `ctr images ls`."""
    images: dict[str, dict[str, str]] = {}
    for line in listing.splitlines()[1:]:
        fields = line.split()
        if not fields:
            continue
        labels = fields[-1] if len(fields) > 1 else "-"
        images[fields[0]] = dict(item.split("=", 1) for item in labels.split(",") if "=" in item)
    return images


def label_args(archive_sha256: str) -> list[str]:
    """The labels an imported image gets, as `ctr images label` takes them."""
    return [f"{ARCHIVE_LABEL}={archive_sha256}", f"{PINNED_LABEL}=pinned"]


def imported_archives(images: dict[str, dict], present: dict[str, dict[str, str]]) -> list[str]:
    """The archives (paths in the bundle) whose every image containerd holds from that very archive.

    images: the bundle manifest's images, each with its ref, archive and the archive's sha256.
    present: labels by ref, as labels_of() reads them.
    """
    by_archive: dict[str, list[bool]] = {}
    for image in images.values():
        labels = present.get(normalize(image["ref"]), {})
        by_archive.setdefault(image["archive"], []).append(labels.get(ARCHIVE_LABEL) == image["sha256"])
    return sorted(archive for archive, found in by_archive.items() if all(found))
