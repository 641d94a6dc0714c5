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
# What the last full check saw of each file (size, mtime, inode): while nothing changed, the
# next check compares those instead of reading gigabytes again (as make and rsync decide).
# Kept in the bundle folder but never copied to a node.
VERIFIED = ".verified.json"
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


def _seen(root: str, manifest: dict[str, Any]) -> dict[str, Any]:
    """What a check records of the manifest and of each file it lists; a missing file is an error."""
    files = {}
    for relative in sorted(manifest.get("files", {})):
        path = os.path.join(root, relative)
        if not os.path.isfile(path):
            raise BundleError(f"bundle file {relative} is missing from {root}; {REBUILD_HINT}")
        stat = os.stat(path)
        files[relative] = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
    stat = os.stat(os.path.join(root, MANIFEST))
    return {"manifest": [stat.st_size, stat.st_mtime_ns, stat.st_ino], "files": files}


def _read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as stream:
            return json.load(stream)
    except (OSError, ValueError):
        return None


def verify(root: str) -> dict[str, Any]:
    """Load the manifest and check every file it lists against its sha256 (unless no file changed
    since the last full check)."""
    manifest = load(root)
    seen = _seen(root, manifest)
    stamp = os.path.join(root, VERIFIED)
    if _read_json(stamp) == seen:
        return manifest
    for relative, expected in sorted(manifest.get("files", {}).items()):
        path = os.path.join(root, relative)
        actual = sha256_of(path)
        if actual != expected["sha256"]:
            raise BundleError(
                f"bundle file {relative} does not match its checksum in {MANIFEST} "
                f"(sha256 {actual[:12]}..., expected {expected['sha256'][:12]}...); {REBUILD_HINT}"
            )
    try:
        with open(stamp, "w", encoding="utf-8") as stream:
            json.dump(seen, stream)
    except OSError:
        pass  # a read-only bundle is checked in full every time
    return manifest
