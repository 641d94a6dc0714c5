"""The `download` source: official release binaries and images, for machines with internet.

Every file is checked against the sha256 its project publishes beside it. An interrupted transfer
is resumed from where it stopped (HTTP range request) or, when the server cannot resume, restarted
from the beginning; a file whose checksum does not match is deleted and reported.
"""

from __future__ import annotations

import re
import shutil
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from cloudmart_lab import base_image, docker
from cloudmart_lab.bundle import images
from cloudmart_lab.bundle.manifest import Manifest, sha256_of
from cloudmart_lab.bundle.recipe import Component, Recipe, parse_kubeadm_images, with_kubeadm_images
from cloudmart_lab.errors import LabError
from cloudmart_lab.paths import cache_dir
from cloudmart_lab.progress import Progress
from cloudmart_lab.shell import run

ATTEMPTS = 4
CHUNK = 1 << 16
_HEX64 = re.compile(r"\b[0-9a-f]{64}\b")


def steps(recipe: Recipe) -> int:
    return 2 + len(recipe.download) + len(recipe.images)


def published_sha256(checksum_text: str, filename: str) -> str:
    """The digest for `filename` in a checksum file: a bare digest, or `digest  name` lines."""
    lines = [line.split() for line in checksum_text.splitlines() if line.strip()]
    for fields in lines:
        if len(fields) >= 2 and fields[-1].lstrip("*").rsplit("/", 1)[-1] == filename and _HEX64.fullmatch(fields[0]):
            return fields[0]
    if len(lines) == 1 and _HEX64.fullmatch(lines[0][0]):
        return lines[0][0]
    raise LabError(f"the checksum file for {filename} names no sha256 for it")


def fetch_text(url: str, timeout: float = 30.0) -> str:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read().decode()
    except (urllib.error.URLError, OSError) as err:
        raise LabError(f"cannot download {url}: {_reason(err)}") from None


def _reason(err: Exception) -> str:
    if isinstance(err, urllib.error.HTTPError):
        return f"HTTP {err.code} {err.reason}"
    if isinstance(err, urllib.error.URLError):
        return str(err.reason)
    return str(err) or type(err).__name__


def _copy(response: object, sink: BinaryIO) -> int:
    received = 0
    while block := response.read(CHUNK):  # type: ignore[attr-defined]
        sink.write(block)
        received += len(block)
    return received


def fetch_file(url: str, dest: Path, sha256: str, *, timeout: float = 30.0, say: Callable[[str], None] | None = None) -> Path:
    """Download url to dest unless dest already has the expected sha256; resume interrupted transfers."""
    if dest.is_file() and sha256_of(dest) == sha256:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    last_error = ""
    for attempt in range(1, ATTEMPTS + 1):
        have = part.stat().st_size if part.exists() else 0
        request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                resumed = have and response.status == 206
                if have and not resumed and say:
                    say(f"{dest.name}: the server cannot resume, restarting from the beginning")
                expected = response.headers.get("Content-Length")
                with part.open("ab" if resumed else "wb") as sink:
                    received = _copy(response, sink)
                # http.client ends a chunked read quietly when the connection drops: count the bytes
                if expected is not None and received < int(expected):
                    raise ConnectionError(f"connection closed after {received} of {expected} bytes")
            break
        except urllib.error.HTTPError as err:
            if err.code == 416:  # asked past the end: what we hold is complete or wrong, the checksum says which
                break
            raise LabError(f"cannot download {url}: {_reason(err)}") from None
        except (urllib.error.URLError, OSError) as err:
            last_error = _reason(err)
            if say:
                say(f"{dest.name}: transfer interrupted ({last_error}), attempt {attempt} of {ATTEMPTS}")
            time.sleep(min(2**attempt, 10) / 10)
    else:
        raise LabError(f"cannot download {url} after {ATTEMPTS} attempts: {last_error}; run again to resume")
    actual = sha256_of(part)
    if actual != sha256:
        part.unlink()
        raise LabError(
            f"{url} does not match its published sha256 (got {actual[:12]}..., expected {sha256[:12]}...); "
            "the corrupt file was deleted, run again"
        )
    part.replace(dest)
    return dest


def _fetch(recipe: Recipe, component: Component, progress: Progress, **fields: str) -> Path:
    spec = recipe.download[component.name]
    values = {"version": component.version, "bare_version": component.version.removeprefix("v"), **fields}
    url = spec.url.format(**values)
    checksum_url = spec.checksum.format(url=url, **values)
    filename = url.rsplit("/", 1)[-1]
    digest = published_sha256(fetch_text(checksum_url), filename)
    dest = cache_dir() / "downloads" / component.name / component.version / filename
    return fetch_file(url, dest, digest, say=progress.say)


def _extract(archive: Path, wanted: tuple[str, ...], into: Path) -> None:
    """Copy the named members (matched by file name) out of a release tarball."""
    found: set[str] = set()
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            name = member.name.rsplit("/", 1)[-1]
            if member.isfile() and name in wanted:
                source = tar.extractfile(member)
                assert source is not None
                with source, (into / name).open("wb") as sink:
                    shutil.copyfileobj(source, sink)
                (into / name).chmod(0o755)
                found.add(name)
    missing = set(wanted) - found
    if missing:
        raise LabError(f"{archive.name} holds no {', '.join(sorted(missing))}")


def fetch_binaries(recipe: Recipe, manifest: Manifest, root: Path, progress: Progress) -> None:
    """Host binaries and CNI plugins from the official releases into root/bin and root/cni."""
    (root / "bin").mkdir(exist_ok=True)
    (root / "cni").mkdir(exist_ok=True)
    components = recipe.components
    with progress.step(f"kubernetes {components['kubernetes'].version}"):
        for binary in recipe.binaries["kubernetes"]:
            shutil.copy2(_fetch(recipe, components["kubernetes"], progress, binary=binary), root / "bin" / binary)
    for name in ("containerd", "crictl"):
        with progress.step(f"{name} {components[name].version}"):
            _extract(_fetch(recipe, components[name], progress), recipe.binaries[name], root / "bin")
    with progress.step(f"runc {components['runc'].version}"):
        shutil.copy2(_fetch(recipe, components["runc"], progress), root / "bin" / "runc")
    with progress.step(f"cni-plugins {components['cni-plugins'].version}"):
        _extract(_fetch(recipe, components["cni-plugins"], progress), recipe.cni_plugins, root / "cni")
    for path in (*(root / "bin").iterdir(), *(root / "cni").iterdir()):
        path.chmod(0o755)
    manifest.binaries = {binary: f"bin/{binary}" for names in recipe.binaries.values() for binary in names}
    manifest.cni_plugins = {plugin: f"cni/{plugin}" for plugin in recipe.cni_plugins}


def download_into(root: Path, recipe: Recipe, manifest: Manifest, progress: Progress) -> None:
    log = root / "build.log"
    fetch_binaries(recipe, manifest, root, progress)
    with progress.step("images kubeadm asks for"):
        listing = run(
            [
                str(root / "bin" / "kubeadm"),
                "config",
                "images",
                "list",
                "--kubernetes-version",
                recipe.components["kubernetes"].version,
            ],
            what="kubeadm config images list",
        )
        kubeadm_refs = parse_kubeadm_images(listing)
        recipe = with_kubeadm_images(recipe, kubeadm_refs)
    with progress.step("Debian base image"):
        base_image.ensure(log)
    (root / "images").mkdir(exist_ok=True)
    for spec in recipe.images.values():
        ref = recipe.image_ref(spec, kubeadm_refs)
        with progress.step(f"image {ref}"):
            if spec.local:
                images.build(spec, ref, root / "bin", log)
            elif not spec.base and not docker.image_exists(ref):
                run(["docker", "pull", ref], log=log, what=f"docker pull {ref}")
            docker.save([ref], root / images.archive_name(spec), log=log)
        manifest.images[spec.name] = images.manifest_entry(spec, ref)
    manifest.components = {name: component.version for name, component in recipe.components.items()}
    manifest.components["pause"] = "v" + kubeadm_refs["pause"].rsplit(":", 1)[1]
