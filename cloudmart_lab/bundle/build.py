"""The `build` source: every bundle artifact compiled from source through the Go module proxy.

This is the source for machines that reach no container registry and no release download site
(CI, air-gapped venues). Kubernetes is compiled first, because its kubeadm names the versions of
etcd, CoreDNS and pause the rest of the bundle must carry.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cloudmart_lab import base_image, docker
from cloudmart_lab.bundle import gobuild, images
from cloudmart_lab.bundle.manifest import Manifest
from cloudmart_lab.bundle.recipe import FROM_KUBEADM, Recipe, parse_kubeadm_images, with_kubeadm_images
from cloudmart_lab.errors import LabError
from cloudmart_lab.progress import Progress
from cloudmart_lab.shell import require, run

# Components compiled after kubeadm has named etcd's and CoreDNS's versions, in build order.
LATER_COMPONENTS = (
    "etcd",
    "coredns",
    "containerd",
    "runc",
    "crictl",
    "cni-plugins",
    "flannel",
    "kube-network-policies",
    "local-path-provisioner",
    "metrics-server",
)


def steps(recipe: Recipe) -> int:
    return 4 + len(LATER_COMPONENTS) + len(recipe.images)


def build_pause(kubernetes_source: Path, version: str, out: Path, log: Path) -> None:
    """Kubernetes' pause.c, linked statically, at the version kubeadm names."""
    require("gcc", "install it with apt-get install gcc")
    source = kubernetes_source / "build" / "pause" / "linux" / "pause.c"
    if not source.is_file():
        raise LabError(f"pause.c not found at {source}")
    run(
        ["gcc", "-Os", "-Wall", "-Werror", "-static", f"-DVERSION=v{version}", "-o", str(out / "pause"), str(source)],
        log=log,
        what="gcc pause.c",
    )


def build_into(root: Path, recipe: Recipe, manifest: Manifest, progress: Progress) -> None:
    log = root / "build.log"
    work = root / "work"
    with progress.step("Debian base image"):
        base_image.ensure(log)

    kubernetes = recipe.components["kubernetes"]
    with progress.step(f"Kubernetes {kubernetes.version} (7 commands, one go build)"), ThreadPoolExecutor(1) as fetcher:
        # Compiling Kubernetes keeps both cores busy for minutes; meanwhile fetch the modules of the
        # components whose versions are already known, so their builds later only compile.
        known = [recipe.components[name] for name in LATER_COMPONENTS if recipe.components[name].version != FROM_KUBEADM]
        prefetched = [fetcher.submit(gobuild.prefetch, component, root / "prefetch.log") for component in known]
        gobuild.build(kubernetes, work, log)
        failed = [str(job.exception()) for job in prefetched if job.exception()]
        if failed:  # not fatal: the component's own build step fetches again and reports its error
            progress.say(f"prefetch: {len(failed)} of {len(known)} failed; their builds will fetch again")
    with progress.step("images kubeadm asks for"):
        listing = run(
            [str(work / "kubeadm"), "config", "images", "list", "--kubernetes-version", kubernetes.version],
            what="kubeadm config images list",
        )
        kubeadm_refs = parse_kubeadm_images(listing)
        recipe = with_kubeadm_images(recipe, kubeadm_refs)
        progress.say("kubeadm wants " + ", ".join(kubeadm_refs.values()))
    with progress.step(f"pause {kubeadm_refs['pause'].rsplit(':', 1)[1]}"):
        build_pause(Path(gobuild.upstream_gomod(kubernetes)["Dir"]), kubeadm_refs["pause"].rsplit(":", 1)[1], work, log)

    for name in LATER_COMPONENTS:
        component = recipe.components[name]
        with progress.step(f"{name} {component.version}"):
            gobuild.build(component, work, log)

    (root / "bin").mkdir()
    (root / "cni").mkdir()
    (root / "images").mkdir()
    for names in recipe.binaries.values():
        for binary in names:
            shutil.copy2(work / binary, root / "bin" / binary)
            manifest.binaries[binary] = f"bin/{binary}"
    for plugin in recipe.cni_plugins:
        shutil.copy2(work / plugin, root / "cni" / plugin)
        manifest.cni_plugins[plugin] = f"cni/{plugin}"

    for spec in recipe.images.values():
        ref = recipe.image_ref(spec, kubeadm_refs)
        with progress.step(f"image {ref}"):
            if not spec.base:
                images.build(spec, ref, work, log)
            docker.save([ref], root / images.archive_name(spec), log=log)
        manifest.images[spec.name] = images.manifest_entry(spec, ref)

    manifest.components = {name: component.version for name, component in recipe.components.items()}
    manifest.components["pause"] = "v" + kubeadm_refs["pause"].rsplit(":", 1)[1]
    shutil.rmtree(work)
