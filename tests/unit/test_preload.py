"""The preloaded node image's name and the commands that fill its containerd (the lab tests see
the nodes start with every image, labelled as the node role expects)."""

from __future__ import annotations

import shlex
from pathlib import Path

from cloudmart_lab import preload
from cloudmart_lab.bundle.manifest import Manifest, load


def bundle(root: Path, archives: dict[str, bytes], images: dict[str, dict[str, str]], binaries: dict[str, str]) -> Path:
    for relative, content in {**archives, **{path: name.encode() for name, path in binaries.items()}}.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(content)
    Manifest("1.37.2", "build", "abc", binaries=binaries, images=images).seal(root)
    return root


def kubernetes(root: Path, pause: bytes = b"pause") -> Path:
    images = {"pause": {"ref": "registry.k8s.io/pause:3.10.2", "archive": "images/pause.tar"}}
    return bundle(root, {"images/pause.tar": pause}, images, {"containerd": "bin/containerd", "ctr": "bin/ctr"})


def platform(root: Path) -> Path:
    images = {
        "redis": {"ref": "localhost/cloudmart/redis:1", "archive": "images/platform.tar"},
        "web": {"ref": "localhost/cloudmart/web:2", "archive": "images/platform.tar"},
    }
    return bundle(root, {"images/platform.tar": b"platform"}, images, {})


def test_the_tag_follows_the_node_image_and_every_archive(tmp_path: Path):
    first = preload.tag("node:1", [kubernetes(tmp_path / "a"), platform(tmp_path / "p")])
    assert first == preload.tag("node:1", [kubernetes(tmp_path / "b"), platform(tmp_path / "p")]), "same content, same tag"
    assert first != preload.tag("node:2", [kubernetes(tmp_path / "a"), platform(tmp_path / "p")])
    assert first != preload.tag("node:1", [kubernetes(tmp_path / "c", pause=b"rebuilt"), platform(tmp_path / "p")])
    assert first.startswith(preload.REPOSITORY + ":")


def test_each_archive_is_imported_once_unpacked_later_and_each_image_labelled_with_its_archive(tmp_path: Path):
    roots = [kubernetes(tmp_path / "k"), platform(tmp_path / "p")]
    lines = preload.import_script(roots).splitlines()
    imports = [shlex.split(line) for line in lines if " images import " in line]
    labels = {shlex.split(line)[7]: shlex.split(line)[8:10] for line in lines if " images label " in line}
    assert [command[-2] for command in imports] == ["/preload/bundle-0/images/pause.tar", "/preload/bundle-1/images/platform.tar"]
    assert all("--no-unpack" in command and command[4] == "k8s.io" for command in imports)
    platform_sha = load(roots[1]).files["images/platform.tar"]
    assert labels["localhost/cloudmart/web:2"] == [
        f"cloudmart.lab/archive-sha256={platform_sha['sha256']}",
        "io.cri-containerd.pinned=pinned",
    ]
    assert set(labels) == {"registry.k8s.io/pause:3.10.2", "localhost/cloudmart/redis:1", "localhost/cloudmart/web:2"}
    assert lines[1].startswith("/preload/bundle-0/bin/containerd "), "the bundle's own containerd"
