"""The node image for Vagrant's docker provider, built from images/node/ on the Debian base."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cloudmart_lab import base_image, docker
from cloudmart_lab.paths import IMAGES_DIR

RECIPE = IMAGES_DIR / "node"


def tag() -> str:
    digest = hashlib.sha256()
    for path in sorted(RECIPE.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return f"localhost/cloudmart-lab/node:{digest.hexdigest()[:12]}"


def ensure(log: Path) -> str:
    ref = tag()
    if not docker.image_exists(ref):
        docker.build(RECIPE, ref, build_args={"BASE_IMAGE": base_image.BASE_IMAGE}, log=log)
    return ref
