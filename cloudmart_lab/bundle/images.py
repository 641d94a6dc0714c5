"""Container images of the bundle: built from images/<name>/ (build source) and saved as archives."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from cloudmart_lab import base_image, docker
from cloudmart_lab.bundle.recipe import ImageSpec
from cloudmart_lab.errors import LabError
from cloudmart_lab.paths import IMAGES_DIR


def build(spec: ImageSpec, ref: str, binaries_dir: Path, log: Path) -> None:
    """docker build images/<name>/ with the image's binaries copied into its context."""
    recipe_dir = IMAGES_DIR / spec.name
    if not (recipe_dir / "Dockerfile").is_file():
        raise LabError(f"no Dockerfile for image {spec.name} at {recipe_dir}")
    with tempfile.TemporaryDirectory(prefix=f"image-{spec.name}-") as scratch:
        context = Path(scratch)
        shutil.copytree(recipe_dir, context, dirs_exist_ok=True)
        for binary in spec.binaries:
            source = binaries_dir / binary
            if not source.is_file():
                raise LabError(f"image {spec.name} needs {binary}, which the build did not produce")
            shutil.copy2(source, context / binary)
        docker.build(context, ref, build_args={"BASE_IMAGE": base_image.BASE_IMAGE}, log=log)


def archive_name(spec: ImageSpec) -> str:
    return f"images/{spec.name}.tar"


def manifest_entry(spec: ImageSpec, ref: str) -> dict[str, str | bool]:
    return {"ref": ref, "archive": archive_name(spec), "control_plane_only": spec.control_plane_only}
