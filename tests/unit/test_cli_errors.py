"""Bad input and a missing environment give one readable line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from cloudmart_lab import cli, settings
from cloudmart_lab.bundle.manifest import Manifest
from cloudmart_lab.errors import LabError
from cloudmart_lab.paths import REPO


def lab_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudmart_lab", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
        timeout=300,
    )


def assert_one_line_error(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("error: "), done.stderr
    for fragment in fragments:
        assert fragment in lines[-1]


def settings_with(tmp_path: Path, **changes: object) -> Path:
    raw = yaml.safe_load((REPO / "settings.yml").read_text())
    raw.update(changes)
    path = tmp_path / "settings.yml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_an_unsupported_kubernetes_version(tmp_path):
    done = lab_cli("bundle", "path", env={"CLOUDMART_LAB_SETTINGS": str(settings_with(tmp_path, kubernetes_version="1.99.0"))})
    assert_one_line_error(done, "Kubernetes 1.99.0 is not supported by the lab", "settings.yml")


def test_a_kubernetes_release_the_module_proxy_does_not_serve(tmp_path):
    done = lab_cli(
        "bundle",
        "build",
        env={
            "CLOUDMART_LAB_SETTINGS": str(settings_with(tmp_path, kubernetes_version="1.37.99")),
            "CLOUDMART_LAB_CACHE": str(tmp_path / "cache"),
        },
    )
    assert_one_line_error(done, "Kubernetes v1.37.99 is not served by the Go module proxy")
    assert not list((tmp_path / "cache").glob("bundles/*")), "a half-made bundle was left behind"


def test_no_docker_engine_and_no_vm_provider(tmp_path):
    # A PATH with python and the basic tools only: no docker, dockerd, VBoxManage, virsh or apt-get.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("env", "sh", "uname", "id"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    done = lab_cli("up", env={"PATH": str(bin_dir), "CLOUDMART_LAB_STATE": str(tmp_path / "state")})
    assert_one_line_error(done, "no Docker engine and no VM provider on this machine")


def test_a_bundle_whose_checksum_does_not_match(tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "kubeadm").write_bytes(b"kubeadm")
    Manifest("1.37.2", "build", "test", binaries={"kubeadm": "bin/kubeadm"}).seal(tmp_path)
    (tmp_path / "bin" / "kubeadm").write_bytes(b"kubeadm, altered after the build")
    done = lab_cli("bundle", "verify", "--path", str(tmp_path))
    assert_one_line_error(done, "bundle file bin/kubeadm does not match its checksum in manifest.json")


def test_an_unknown_bundle_source():
    done = lab_cli("bundle", "path", env={"CLOUDMART_BUNDLE_SOURCE": "carrier-pigeon"})
    assert_one_line_error(done, "unknown bundle source 'carrier-pigeon'")


def test_another_lab_keeps_vagrant_s_records_with_its_own_state(monkeypatch, tmp_path):
    """A molecule scenario's nodes (CLOUDMART_LAB_STATE set) and the lab's never share .vagrant."""
    from cloudmart_lab import vagrant

    monkeypatch.delenv("CLOUDMART_LAB_STATE", raising=False)
    monkeypatch.delenv("VAGRANT_DOTFILE_PATH", raising=False)
    assert "VAGRANT_DOTFILE_PATH" not in vagrant.env()
    monkeypatch.setenv("CLOUDMART_LAB_STATE", str(tmp_path))
    assert vagrant.env()["VAGRANT_DOTFILE_PATH"] == str(tmp_path / "vagrant")


def test_a_bundle_that_fails_to_build_lets_the_other_finish_then_reports_its_error(monkeypatch):
    # The two bundles are built side by side; a failure of one must not leave the other half-made.
    finished: list[str] = []

    def kubernetes_fails(lab: settings.Settings, source: str, say: object) -> Path:
        raise LabError("go build kubernetes v1.37.2 failed; see its log")

    def cloudmart_completes(say: object) -> Path:
        time.sleep(0.5)
        finished.append("platform")
        return Path("platform-bundle")

    monkeypatch.setattr(cli.bundle, "ensure", kubernetes_fails)
    monkeypatch.setattr(cli.platform, "ensure", cloudmart_completes)
    with pytest.raises(LabError, match="go build kubernetes"):
        cli._bundles(settings.load(), "build", print)
    assert finished == ["platform"]
