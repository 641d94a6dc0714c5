"""The Kubernetes bundle: versioned binaries and image archives that nodes install from.

A bundle lives in the cache folder under a name made of the Kubernetes version, the source and a
fingerprint of the recipe, so a changed recipe makes a new bundle and an unchanged one is reused.
It is assembled in a `.partial` folder and renamed only once its manifest is sealed: a bundle
folder without the suffix is always complete.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from cloudmart_lab.bundle import build, download, gobuild
from cloudmart_lab.bundle.manifest import Manifest, verify
from cloudmart_lab.bundle.recipe import Recipe, fingerprint, load, with_kubernetes
from cloudmart_lab.errors import LabError
from cloudmart_lab.paths import cache_dir
from cloudmart_lab.progress import Progress
from cloudmart_lab.settings import Settings

SOURCES = ("build", "download")


def recipe_for(settings: Settings) -> Recipe:
    return with_kubernetes(load(), settings.kubernetes_version)


def bundle_dir(settings: Settings, source: str) -> Path:
    if source not in SOURCES:
        raise LabError(f"unknown bundle source {source!r}; choose one of {', '.join(SOURCES)}")
    recipe = recipe_for(settings)
    key = fingerprint(names=tuple(name for name, spec in recipe.images.items() if not spec.base))
    return cache_dir() / "bundles" / f"kubernetes-v{settings.kubernetes_version}-{source}-{key}"


def ensure(settings: Settings, source: str, say: Callable[[str], None]) -> Path:
    """Return the bundle for these settings, making it first if the cache lacks it."""
    root = bundle_dir(settings, source)
    if (root / "manifest.json").is_file():
        say(f"{root.name}: reused from the cache")
        return root
    recipe = recipe_for(settings)
    if source == "build":
        gobuild.check_served(recipe.components["kubernetes"], "Kubernetes")
    partial = root.with_name(root.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    manifest = Manifest(kubernetes_version=settings.kubernetes_version, source=source, fingerprint=root.name.rsplit("-", 1)[1])
    progress = Progress("bundle", total=build.steps(recipe) if source == "build" else download.steps(recipe))
    progress.say(f"making {root.name} (log: {partial / 'build.log'})")
    if source == "build":
        build.build_into(partial, recipe, manifest, progress)
    else:
        download.download_into(partial, recipe, manifest, progress)
    manifest.seal(partial)
    partial.rename(root)
    for stale in root.parent.glob(f"kubernetes-v{settings.kubernetes_version}-{source}-*"):
        if stale != root:  # an older recipe's bundle of the same release is never used again
            shutil.rmtree(stale)
            say(f"removed the outdated {stale.name}")
    print(progress.summary(), file=sys.stderr)
    return root


__all__ = ["SOURCES", "bundle_dir", "ensure", "verify"]
