"""The platform bundle: CloudMart's images, each built from images/<name>/ and reused while unchanged.

An image's tag is a hash of everything it is built from (its folder, the folders it shares, the Go
components compiled into it, the base image), so rebuilding after a change to one service rebuilds
that service only, and its Deployment rolls out because the tag changed. The bundle holds one
archive of every image (shared layers stored once) and a sealed manifest.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from cloudmart_lab import base_image, docker
from cloudmart_lab.bundle import gobuild
from cloudmart_lab.bundle.manifest import Manifest
from cloudmart_lab.bundle.recipe import Component, parse_components
from cloudmart_lab.errors import LabError
from cloudmart_lab.paths import IMAGES_DIR, cache_dir
from cloudmart_lab.progress import Progress
from cloudmart_lab.shell import run

RECIPE_FILE = Path(__file__).with_name("platform.yml")
ROLE_DEFAULTS = IMAGES_DIR.parent / "roles" / "platform" / "defaults" / "main.yml"
REPOSITORY = "localhost/cloudmart"
ARCHIVE = "images/platform.tar"
# What a service's own build leaves in its folder; never part of an image's inputs or context.
BUILD_LEFTOVERS = ("node_modules", "dist", "target", ".prebuilt", "__pycache__", ".pytest_cache", ".venv")


@dataclass(frozen=True)
class PlatformImage:
    name: str
    components: tuple[Component, ...] = ()
    shares: tuple[str, ...] = ()

    @property
    def folder(self) -> Path:
        return IMAGES_DIR / self.name


@dataclass(frozen=True)
class PlatformRecipe:
    images: list[PlatformImage]
    manifests: list[Component]  # their files go to the bundle's manifests/<name>/, applied by the platform role


def load(path: Path = RECIPE_FILE) -> PlatformRecipe:
    raw = yaml.safe_load(path.read_text())
    components = parse_components(raw["components"])
    unknown = set(raw.get("manifests", ())) - components.keys()
    if unknown:
        raise LabError(f"{path.name}: manifests name unknown components {', '.join(sorted(unknown))}")
    images = []
    for name, spec in raw["images"].items():
        unknown = set(spec.get("components", ())) - components.keys()
        if unknown:
            raise LabError(f"{path.name}: image {name} names unknown components {', '.join(sorted(unknown))}")
        images.append(
            PlatformImage(name, tuple(components[c] for c in spec.get("components", ())), tuple(spec.get("shares", ())))
        )
    return PlatformRecipe(images, [components[name] for name in raw.get("manifests", ())])


def ingress_node_port() -> int:
    """The port the platform role opens on every node for the ingress (its default)."""
    return int(yaml.safe_load(ROLE_DEFAULTS.read_text())["platform_ingress_node_port"])


def _inputs(folder: Path) -> list[Path]:
    return sorted(
        path for path in folder.rglob("*") if path.is_file() and not any(part in BUILD_LEFTOVERS for part in path.parts)
    )


def tag(image: PlatformImage) -> str:
    digest = hashlib.sha256(base_image.BASE_IMAGE.encode())
    for folder in (image.folder, *(IMAGES_DIR / shared for shared in image.shares)):
        for path in _inputs(folder):
            digest.update(str(path.relative_to(IMAGES_DIR)).encode())
            digest.update(path.read_bytes())
    for component in image.components:
        digest.update(json.dumps(component.__dict__, sort_keys=True, default=list).encode())
    return f"{REPOSITORY}/{image.name}:{digest.hexdigest()[:12]}"


def _context(image: PlatformImage, into: Path, log: Path) -> None:
    """The build context: the image's folder, plus the Go components and what its prebuild.sh makes."""
    if not (image.folder / "Dockerfile").is_file():
        raise LabError(f"no Dockerfile for platform image {image.name} at {image.folder}")
    shutil.copytree(image.folder, into, ignore=shutil.ignore_patterns(*BUILD_LEFTOVERS))
    prebuilt = into / ".prebuilt"
    prebuilt.mkdir()
    for component in image.components:
        if component.packages:
            gobuild.build(component, prebuilt, log)
        if component.files:
            gobuild.copy_files(component, prebuilt / component.name)
    prebuild = into / "prebuild.sh"
    if prebuild.is_file():
        env = {"CLOUDMART_LAB_CACHE": str(cache_dir()), "CLOUDMART_IMAGES_DIR": str(IMAGES_DIR)}
        run(["bash", str(prebuild), str(into)], cwd=into, env=env, log=log, what=f"prebuild.sh of {image.name}")


def build(image: PlatformImage, log: Path) -> str:
    """The image's ref, built first unless Docker already holds it."""
    ref = tag(image)
    if docker.image_exists(ref):
        return ref
    with tempfile.TemporaryDirectory(prefix=f"platform-{image.name}-") as scratch:
        context = Path(scratch) / "context"
        _context(image, context, log)
        docker.build(context, ref, build_args={"BASE_IMAGE": base_image.BASE_IMAGE}, log=log)
    return ref


def ensure(say: Callable[[str], None], recipe: PlatformRecipe | None = None) -> Path:
    """The platform bundle for the current sources, built image by image as needed."""
    recipe = recipe if recipe is not None else load()
    images = recipe.images
    inputs = {image.name: tag(image) for image in images}
    inputs |= {f"manifests/{c.name}": json.dumps(c.__dict__, sort_keys=True, default=list) for c in recipe.manifests}
    inputs["archive"] = ARCHIVE  # the bundle's layout
    key = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:12]
    root = cache_dir() / "bundles" / f"platform-{key}"
    if (root / "manifest.json").is_file():
        say(f"{root.name}: reused from the cache")
        return root
    partial = root.with_name(root.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    (partial / "images").mkdir(parents=True)
    log = partial / "build.log"
    progress = Progress("platform", total=len(images) + 3)
    with progress.step("Debian base image"):
        base_image.ensure(log)
    manifest = Manifest(kubernetes_version="", source="build", fingerprint=key, kind="platform")
    for image in images:
        with progress.step(f"image {image.name}"):
            ref = build(image, log)
        manifest.images[image.name] = {"ref": ref, "archive": ARCHIVE, "control_plane_only": False}
    with progress.step("one archive of every image"):
        # Saved together, the layers the images share (the Debian base, Node.js) are stored once.
        docker.save([entry["ref"] for entry in manifest.images.values()], partial / ARCHIVE, log=log)
    with progress.step("manifests from the components' sources"):
        for component in recipe.manifests:
            gobuild.copy_files(component, partial / "manifests" / component.name)
    manifest.seal(partial)
    partial.rename(root)
    for stale in root.parent.glob("platform-*"):
        if stale != root and not stale.name.endswith(".partial"):
            shutil.rmtree(stale)
    print(progress.summary(), file=sys.stderr)
    return root
