"""The bundle recipe (`recipe.yml`) as typed data, and the versions the built kubeadm asks for."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cloudmart_lab.base_image import BASE_IMAGE
from cloudmart_lab.errors import LabError
from cloudmart_lab.paths import IMAGES_DIR

RECIPE_FILE = Path(__file__).with_name("recipe.yml")
PATCHES_DIR = Path(__file__).with_name("patches")  # patches/<component>/<file>, applied with patch -p1
FROM_KUBEADM = "from-kubeadm"


@dataclass(frozen=True)
class Component:
    name: str
    module: str
    version: str  # "v1.2.3", or FROM_KUBEADM until resolved
    packages: tuple[str, ...] = ()
    binary: str | None = None  # output name when one package is built under another name
    cgo: bool = False
    tags: tuple[str, ...] = ()
    ldflags: str = ""
    ldflags_version_vars: tuple[str, ...] = ()
    coredns_plugins: tuple[str, ...] = ()
    main_from_module: str | None = None  # build this file of the module as the wrapper's main
    drop_imports: tuple[str, ...] = ()  # ...without these imports (paths inside the module)
    patches: tuple[str, ...] = ()  # files in patches/<name>/, applied to the module's source in order
    source_module: str | None = None  # where the proxy serves the module's sources, when not at its own path
    files: tuple[str, ...] = ()  # glob patterns of files the module ships (manifests, configs), copied as they are

    def expand(self, text: str) -> str:
        return text.format(version=self.version, bare_version=self.version.removeprefix("v"))


@dataclass(frozen=True)
class ImageSpec:
    name: str
    ref: str  # "kubeadm" or a template over component versions
    binaries: tuple[str, ...] = ()
    base: bool = False  # the Debian base itself, made by debootstrap
    local: bool = False  # built from images/<name>/ by both sources (no official image exists)
    control_plane_only: bool = False  # run by the control plane's static pods only


@dataclass(frozen=True)
class Download:
    url: str
    checksum: str


@dataclass(frozen=True)
class Recipe:
    components: dict[str, Component]
    binaries: dict[str, tuple[str, ...]]
    cni_plugins: tuple[str, ...]
    images: dict[str, ImageSpec]
    download: dict[str, Download] = field(default_factory=dict)

    def image_ref(self, spec: ImageSpec, kubeadm_refs: dict[str, str]) -> str:
        if spec.ref == "kubeadm":
            return kubeadm_refs[spec.name]
        if spec.ref == "base":
            return BASE_IMAGE
        return spec.ref.format(**{name: component.version for name, component in self.components.items()})


def parse_components(raw: dict[str, Any]) -> dict[str, Component]:
    return {
        name: Component(
            name=name,
            module=spec["module"],
            version=spec.get("version", ""),
            packages=tuple(spec.get("packages", ())),
            binary=spec.get("binary"),
            cgo=bool(spec.get("cgo", False)),
            tags=tuple(spec.get("tags", ())),
            ldflags=spec.get("ldflags", ""),
            ldflags_version_vars=tuple(spec.get("ldflags_version_vars", ())),
            coredns_plugins=tuple(spec.get("coredns_plugins", ())),
            main_from_module=spec.get("main_from_module"),
            drop_imports=tuple(spec.get("drop_imports", ())),
            patches=tuple(spec.get("patches", ())),
            source_module=spec.get("source_module"),
            files=tuple(spec.get("files", ())),
        )
        for name, spec in raw.items()
    }


def load(path: Path = RECIPE_FILE) -> Recipe:
    raw: dict[str, Any] = yaml.safe_load(path.read_text())
    components = parse_components(raw["components"])
    return Recipe(
        components=components,
        binaries={name: tuple(names) for name, names in raw["binaries"].items()},
        cni_plugins=tuple(raw["cni_plugins"]),
        images={
            name: ImageSpec(
                name=name,
                ref=spec["ref"],
                binaries=tuple(spec.get("binaries", ())),
                base=bool(spec.get("base", False)),
                local=bool(spec.get("local", False)),
                control_plane_only=bool(spec.get("control_plane_only", False)),
            )
            for name, spec in raw["images"].items()
        },
        download={name: Download(spec["url"], spec["checksum"]) for name, spec in raw.get("download", {}).items()},
    )


def with_kubernetes(recipe: Recipe, kubernetes_version: str) -> Recipe:
    components = dict(recipe.components)
    components["kubernetes"] = _replace_version(components["kubernetes"], f"v{kubernetes_version}")
    return Recipe(components, recipe.binaries, recipe.cni_plugins, recipe.images, recipe.download)


def with_kubeadm_images(recipe: Recipe, kubeadm_refs: dict[str, str]) -> Recipe:
    """Pin etcd and CoreDNS to the versions the built kubeadm deploys."""
    components = dict(recipe.components)
    for name, component in components.items():
        if component.version == FROM_KUBEADM:
            components[name] = _replace_version(component, _version_of(kubeadm_refs[name]))
    return Recipe(components, recipe.binaries, recipe.cni_plugins, recipe.images, recipe.download)


def parse_kubeadm_images(listing: str) -> dict[str, str]:
    """Map image names (kube-apiserver, etcd, coredns, pause, ...) to the refs `kubeadm config images list` prints."""
    refs = {}
    for line in listing.split():
        name = line.rsplit("/", 1)[-1].split(":", 1)[0]
        refs[name] = line
    missing = {"kube-apiserver", "etcd", "coredns", "pause"} - refs.keys()
    if missing:
        raise LabError(f"kubeadm listed no image for {', '.join(sorted(missing))}: {listing.strip()!r}")
    return refs


def _version_of(ref: str) -> str:
    tag = ref.rsplit(":", 1)[-1]
    match = re.match(r"^v?(\d+\.\d+\.\d+)", tag)  # etcd tags carry a build suffix: 3.7.0-0
    if not match:
        raise LabError(f"cannot read a version from image {ref}")
    return f"v{match[1]}"


def _replace_version(component: Component, version: str) -> Component:
    return Component(**{**component.__dict__, "version": version})


def fingerprint(recipe_path: Path = RECIPE_FILE, images_dir: Path = IMAGES_DIR, names: tuple[str, ...] = ()) -> str:
    """A short hash of everything that shapes the bundle besides the Kubernetes version."""
    digest = hashlib.sha256(recipe_path.read_bytes())
    folders = [(images_dir, images_dir / name) for name in sorted(names)] + [(PATCHES_DIR, PATCHES_DIR)]
    for root, folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
