"""Where the lab keeps its files: the repository, the per-lab state folder and the shared cache."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
IMAGES_DIR = REPO / "images"


def settings_file() -> Path:
    """The lab's settings file; CLOUDMART_LAB_SETTINGS points elsewhere (tests use it)."""
    return Path(os.environ.get("CLOUDMART_LAB_SETTINGS", REPO / "settings.yml"))


def state_dir() -> Path:
    """Per-lab state: SSH key, kubeconfig, the chosen bundle. Never committed."""
    return Path(os.environ.get("CLOUDMART_LAB_STATE", REPO / ".lab"))


def cache_dir() -> Path:
    """Slow artifacts shared by every checkout on the machine (Go caches, bundles), keyed by version."""
    default = Path("/var/cache/cloudmart-lab") if os.geteuid() == 0 else Path.home() / ".cache" / "cloudmart-lab"
    return Path(os.environ.get("CLOUDMART_LAB_CACHE", default))
