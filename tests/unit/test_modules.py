"""The collection's modules, run through Ansible on the controller.

containerd_image runs here against a stand-in `ctr` that records what it is asked; the lab tests
run the same module against the real containerd of every node.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from cloudmart_lab.bundle.manifest import Manifest
from tests.ansible_helpers import path_with, run_module

FAKE_CTR = textwrap.dedent("""\
    #!/usr/bin/env python3
    # A stand-in for containerd's ctr: images in a JSON file, archives name their ref in their content.
    import json, os, sys
    state_file = os.environ["FAKE_CTR_STATE"]
    images = json.load(open(state_file)) if os.path.exists(state_file) else {}
    args = sys.argv[1:]
    namespace, args = args[1], args[2:]
    if args[:2] == ["images", "ls"]:
        wanted = [args[2].removeprefix("name==")] if len(args) > 2 else sorted(images)
        print("REF TYPE DIGEST SIZE PLATFORMS LABELS")
        for ref in wanted:
            if ref in images:
                labels = ",".join(f"{k}={v}" for k, v in images[ref].items()) or "-"
                print(f"{ref} application/vnd.oci.image.manifest.v1+json sha256:0 1.0 MiB linux/amd64 {labels}")
    elif args[:2] == ["images", "import"]:
        for ref in open(args[2]).read().split():
            images[ref] = {}
            with open(state_file + ".imports", "a") as log:
                log.write(ref + "\\n")
    elif args[:2] == ["images", "label"]:
        images[args[2]].update(dict(item.split("=", 1) for item in args[3:]))
    json.dump(images, open(state_file, "w"))
    """)


@pytest.fixture
def fake_ctr(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    ctr = bin_dir / "ctr"
    ctr.write_text(FAKE_CTR)
    ctr.chmod(0o755)
    archive = tmp_path / "pause.tar"
    archive.write_text("registry.k8s.io/pause:3.10.2")
    state = tmp_path / "ctr-state.json"
    env = {"PATH": path_with(bin_dir), "FAKE_CTR_STATE": str(state)}
    return {"env": env, "archive": archive, "imports": tmp_path / "ctr-state.json.imports", "state": state}


def _import(fake_ctr, sha="1" * 64, ref="registry.k8s.io/pause:3.10.2", **kwargs):
    args = {"archive": fake_ctr["archive"], "ref": ref, "sha256": sha}
    return run_module("cloudmart.lab.containerd_image", args, env=fake_ctr["env"], **kwargs)


def test_containerd_image_imports_once_and_pins_the_image(fake_ctr):
    first = _import(fake_ctr)
    assert first["changed"] and first["imported"]
    labels = json.loads(fake_ctr["state"].read_text())["registry.k8s.io/pause:3.10.2"]
    assert labels == {"cloudmart.lab/archive-sha256": "1" * 64, "io.cri-containerd.pinned": "pinned"}
    second = _import(fake_ctr)
    assert not second["changed"] and not second["imported"]
    assert fake_ctr["imports"].read_text().count("pause") == 1


def test_containerd_image_reimports_a_rebuilt_archive(fake_ctr):
    _import(fake_ctr)
    again = _import(fake_ctr, sha="2" * 64, diff=True)
    assert again["changed"] and again["imported"]
    assert again["diff"]["before"]["registry.k8s.io/pause:3.10.2"]["cloudmart.lab/archive-sha256"] == "1" * 64
    assert fake_ctr["imports"].read_text().count("pause") == 2


def test_containerd_image_imports_an_archive_of_several_images_once(fake_ctr):
    refs = ["localhost/cloudmart/web:1", "localhost/cloudmart/api:2"]
    fake_ctr["archive"].write_text("\n".join(refs))
    args = {"archive": fake_ctr["archive"], "refs": ",".join(refs), "sha256": "3" * 64}  # key=value module arguments
    first = run_module("cloudmart.lab.containerd_image", args, env=fake_ctr["env"])
    assert first["changed"] and first["imported"] and first["refs"] == refs
    labels = json.loads(fake_ctr["state"].read_text())
    assert all(labels[ref]["cloudmart.lab/archive-sha256"] == "3" * 64 for ref in refs)
    second = run_module("cloudmart.lab.containerd_image", args, env=fake_ctr["env"])
    assert not second["changed"]
    assert fake_ctr["imports"].read_text().split() == refs  # one import for both


def test_containerd_image_check_mode_imports_nothing(fake_ctr):
    result = _import(fake_ctr, check=True)
    assert result["changed"] and not result["imported"]
    assert not fake_ctr["imports"].exists()


def test_containerd_image_refuses_an_archive_without_the_ref(fake_ctr):
    fake_ctr["archive"].write_text("registry.k8s.io/other:1.0")
    result = _import(fake_ctr)
    assert result["failed"]
    assert result["msg"] == f"archive {fake_ctr['archive']} does not hold the image registry.k8s.io/pause:3.10.2"


@pytest.fixture
def small_bundle(tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "images").mkdir()
    (tmp_path / "bin" / "kubelet").write_bytes(b"kubelet")
    (tmp_path / "images" / "pause.tar").write_bytes(b"pause")
    Manifest(
        "1.37.2",
        "build",
        "abc",
        binaries={"kubelet": "bin/kubelet"},
        images={"pause": {"ref": "registry.k8s.io/pause:3.10.2", "archive": "images/pause.tar"}},
    ).seal(tmp_path)
    return tmp_path


def test_bundle_info_returns_the_manifest_with_image_checksums(small_bundle):
    result = run_module("cloudmart.lab.bundle_info", {"path": small_bundle})
    assert not result["failed"] and not result["changed"]
    manifest = result["manifest"]
    assert manifest["kubernetes_version"] == "1.37.2"
    assert manifest["images"]["pause"]["sha256"] == manifest["files"]["images/pause.tar"]["sha256"]


def test_bundle_info_refuses_a_bundle_whose_checksum_does_not_match(small_bundle):
    (small_bundle / "bin" / "kubelet").write_bytes(b"kubelet, tampered")
    result = run_module("cloudmart.lab.bundle_info", {"path": small_bundle})
    assert result["failed"]
    assert result["msg"].startswith("bundle file bin/kubelet does not match its checksum in manifest.json")
    assert "\n" not in result["msg"]


def test_containerd_image_completes_short_refs_as_containerd_stores_them(fake_ctr):
    fake_ctr["archive"].write_text("docker.io/library/busybox:latest")
    result = _import(fake_ctr, ref="busybox")
    assert not result["failed"] and result["imported"]
    assert result["ref"] == "docker.io/library/busybox:latest"
    fake_ctr["archive"].write_text("docker.io/rancher/local-path-provisioner:v0.0.30")
    assert (
        _import(fake_ctr, ref="rancher/local-path-provisioner:v0.0.30")["ref"]
        == "docker.io/rancher/local-path-provisioner:v0.0.30"
    )
    fake_ctr["archive"].write_text("localhost/cloudmart-lab/toolbox:bookworm")
    assert _import(fake_ctr, ref="localhost/cloudmart-lab/toolbox:bookworm")["ref"] == "localhost/cloudmart-lab/toolbox:bookworm"


def _held(fake_ctr, images):
    return run_module("cloudmart.lab.containerd_images_info", {"images": images}, env=fake_ctr["env"])


def test_containerd_images_info_holds_an_archive_only_with_every_image_from_that_very_archive(fake_ctr):
    pause = {"ref": "registry.k8s.io/pause:3.10.2", "archive": "images/pause.tar", "sha256": "1" * 64}
    assert _held(fake_ctr, {"pause": pause})["imported_archives"] == []
    _import(fake_ctr, sha="1" * 64)
    held = _held(fake_ctr, {"pause": pause})
    assert held["running"] and held["imported_archives"] == ["images/pause.tar"] and not held["changed"]
    rebuilt = {**pause, "sha256": "2" * 64}
    assert _held(fake_ctr, {"pause": rebuilt})["imported_archives"] == [], "an image from another archive is not held"
    shared = {"pause": pause, "other": {**pause, "ref": "busybox", "archive": "images/pause.tar"}}
    assert _held(fake_ctr, shared)["imported_archives"] == [], "one image of the archive is missing"


def test_containerd_images_info_holds_nothing_where_containerd_does_not_answer(tmp_path):
    ctr = tmp_path / "ctr"
    ctr.write_text("#!/bin/sh\necho 'failed to dial /run/containerd/containerd.sock' >&2\nexit 1\n")
    ctr.chmod(0o755)
    images = {"pause": {"ref": "registry.k8s.io/pause:3.10.2", "archive": "images/pause.tar", "sha256": "1" * 64}}
    held = run_module("cloudmart.lab.containerd_images_info", {"images": images}, env={"PATH": path_with(tmp_path)})
    assert held["running"] is False and held["imported_archives"] == []
