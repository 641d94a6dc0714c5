# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""Reading and checking a Kubernetes bundle's manifest.json.

Plain Python with no Ansible imports: the collection's modules use it on the controller, and the
lab's Python toolkit loads the same file, so the rules for a valid bundle are written once.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

MANIFEST = "manifest.json"
FORMAT = 1
REBUILD_HINT = "rebuild it with: make bundle"


class BundleError(Exception):
    """A bundle that is missing, malformed or altered, explained in one line."""


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load(root: str) -> dict[str, Any]:
    path = os.path.join(root, MANIFEST)
    try:
        with open(path, encoding="utf-8") as stream:
            manifest = json.load(stream)
    except FileNotFoundError:
        raise BundleError(f"no bundle at {root} (no {MANIFEST}); {REBUILD_HINT}") from None
    except (OSError, ValueError) as err:
        raise BundleError(f"bundle manifest {path} cannot be read ({err}); {REBUILD_HINT}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"bundle {root} has an unknown manifest format; {REBUILD_HINT}")
    return manifest


def verify(root: str) -> dict[str, Any]:
    """Load the manifest and check every file it lists against its sha256."""
    manifest = load(root)
    for relative, expected in sorted(manifest.get("files", {}).items()):
        path = os.path.join(root, relative)
        if not os.path.isfile(path):
            raise BundleError(f"bundle file {relative} is missing from {root}; {REBUILD_HINT}")
        actual = sha256_of(path)
        if actual != expected["sha256"]:
            raise BundleError(
                f"bundle file {relative} does not match its checksum in {MANIFEST} "
                f"(sha256 {actual[:12]}..., expected {expected['sha256'][:12]}...); {REBUILD_HINT}"
            )
    return manifest
