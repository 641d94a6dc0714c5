"""The bundle manifest: sealed with checksums, refused when a file changes."""

from __future__ import annotations

import json

import pytest

from cloudmart_lab.bundle import manifest as manifest_module
from cloudmart_lab.bundle.manifest import Manifest, load, sha256_of, verify
from cloudmart_lab.errors import LabError


@pytest.fixture
def bundle(tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "images").mkdir()
    (tmp_path / "bin" / "kubelet").write_bytes(b"kubelet")
    (tmp_path / "images" / "pause.tar").write_bytes(b"pause image")
    manifest = Manifest(
        "1.37.2",
        "build",
        "abc",
        binaries={"kubelet": "bin/kubelet"},
        images={"pause": {"ref": "registry.k8s.io/pause:3.10.2", "archive": "images/pause.tar"}},
    )
    manifest.seal(tmp_path)
    return tmp_path


def test_sealing_records_every_file_with_its_sha256(bundle):
    recorded = json.loads((bundle / "manifest.json").read_text())["files"]
    assert recorded["bin/kubelet"] == {"sha256": sha256_of(bundle / "bin" / "kubelet"), "size": 7}
    assert set(recorded) == {"bin/kubelet", "images/pause.tar"}
    assert verify(bundle).images["pause"]["ref"] == "registry.k8s.io/pause:3.10.2"


def test_a_changed_file_fails_verification_in_one_line(bundle):
    (bundle / "images" / "pause.tar").write_bytes(b"pause image, altered")
    with pytest.raises(LabError) as failure:
        verify(bundle)
    assert "bundle file images/pause.tar does not match its checksum in manifest.json" in str(failure.value)
    assert "rebuild it with: make bundle" in str(failure.value)


def test_a_missing_file_fails_verification(bundle):
    (bundle / "bin" / "kubelet").unlink()
    with pytest.raises(LabError, match="bundle file bin/kubelet is missing"):
        verify(bundle)


def test_no_bundle_says_how_to_make_one(tmp_path):
    with pytest.raises(LabError, match=r"no bundle at .* \(no manifest\.json\); rebuild it with: make bundle"):
        load(tmp_path)


def test_sealing_refuses_a_manifest_naming_an_absent_file(tmp_path):
    with pytest.raises(LabError, match="lacks bin/kubeadm"):
        Manifest("1.37.2", "build", "abc", binaries={"kubeadm": "bin/kubeadm"}).seal(tmp_path)


def test_a_second_check_reads_no_file_until_one_changes(bundle, monkeypatch):
    rules = manifest_module.rules
    verify(bundle)
    read = []
    real = rules.sha256_of
    monkeypatch.setattr(rules, "sha256_of", lambda path: read.append(path) or real(path))
    verify(bundle)
    assert read == [], "nothing changed since the full check: sizes, times and inodes say so"
    altered = bundle / "images" / "pause.tar"
    altered.write_bytes(b"pause IMAGE")  # same size, a new time
    with pytest.raises(LabError, match=r"images/pause\.tar does not match its checksum"):
        verify(bundle)
    assert str(altered) in read, "a changed file is read again"
