"""Writing a bundle's manifest; reading and checking it with the collection's own rules."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cloudmart_lab import module_utils
from cloudmart_lab.errors import LabError

# The collection's module_utils file is the one definition of a valid bundle.
rules = module_utils.load("bundle_manifest")


@dataclass
class Manifest:
    kubernetes_version: str
    source: str
    fingerprint: str
    components: dict[str, str] = field(default_factory=dict)  # component -> version
    binaries: dict[str, str] = field(default_factory=dict)  # host binary -> path in the bundle
    cni_plugins: dict[str, str] = field(default_factory=dict)  # CNI plugin -> path in the bundle
    images: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {ref, archive, control_plane_only}
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> {sha256, size}
    kind: str = "kubernetes"  # or "platform": CloudMart's own images
    format: int = rules.FORMAT

    def seal(self, root: Path) -> None:
        """Record the checksum of every file the manifest names, then write it into root."""
        paths = [*self.binaries.values(), *self.cni_plugins.values(), *(image["archive"] for image in self.images.values())]
        self.files = {}
        for relative in sorted(paths):
            path = root / relative
            if not path.is_file():
                raise LabError(f"bundle {root} lacks {relative}, which its manifest names")
            self.files[relative] = {"sha256": rules.sha256_of(str(path)), "size": path.stat().st_size}
        (root / rules.MANIFEST).write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")


def sha256_of(path: Path) -> str:
    return rules.sha256_of(str(path))


def load(root: Path) -> Manifest:
    try:
        return Manifest(**rules.load(str(root)))
    except rules.BundleError as err:
        raise LabError(str(err)) from None


def verify(root: Path) -> Manifest:
    try:
        return Manifest(**rules.verify(str(root)))
    except rules.BundleError as err:
        raise LabError(str(err)) from None
