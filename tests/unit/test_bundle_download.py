"""The download source, against a fake release served on loopback."""

from __future__ import annotations

import hashlib
import io
import tarfile

import pytest

from cloudmart_lab.bundle import download, recipe
from cloudmart_lab.bundle.manifest import Manifest
from cloudmart_lab.errors import LabError
from cloudmart_lab.progress import Progress
from tests.unit.fake_release import FakeRelease, serve

KUBERNETES = "v1.37.2"


def _tarball(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o755
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CLOUDMART_LAB_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_published_sha256_reads_bare_and_listed_checksum_files():
    digest = "a" * 64
    assert download.published_sha256(f"{digest}\n", "kubeadm") == digest
    listing = f"{'b' * 64}  runc.arm64\n{digest}  runc.amd64\n"
    assert download.published_sha256(listing, "runc.amd64") == digest
    with pytest.raises(LabError, match=r"checksum file for runc\.s390x names no sha256"):
        download.published_sha256(listing, "runc.s390x")


def test_download_checks_the_published_sha256(cache):
    content = b"kubeadm binary " * 1000
    with serve(FakeRelease()) as release:
        release.add("/kubeadm", content)
        path = download.fetch_file(f"{release.base_url}/kubeadm", cache / "kubeadm", _sha(content))
    assert path.read_bytes() == content


def test_a_corrupt_file_is_rejected_and_deleted(cache):
    content = b"the real kubelet"
    with serve(FakeRelease()) as release:
        release.add("/kubelet", b"the tampered kubelet")
        with pytest.raises(LabError) as failure:
            download.fetch_file(f"{release.base_url}/kubelet", cache / "kubelet", _sha(content))
    message = str(failure.value)
    assert "does not match its published sha256" in message and "\n" not in message
    assert not (cache / "kubelet").exists()
    assert not (cache / "kubelet.part").exists()


def test_an_interrupted_download_is_resumed_from_where_it_stopped(cache):
    content = bytes(range(256)) * 4096  # 1 MiB
    with serve(FakeRelease(cut_after={"/containerd.tar.gz": 300_000})) as release:
        release.add("/containerd.tar.gz", content)
        path = download.fetch_file(f"{release.base_url}/containerd.tar.gz", cache / "c.tar.gz", _sha(content))
        ranges = [byte_range for requested, byte_range in release.requests if requested == "/containerd.tar.gz"]
    assert path.read_bytes() == content
    assert ranges[0] is None
    assert ranges[1] is not None and int(ranges[1].removeprefix("bytes=").rstrip("-")) > 0


def test_a_server_that_cannot_resume_makes_the_download_restart_cleanly(cache):
    content = b"0123456789" * 50_000
    release = FakeRelease(cut_after={"/crictl.tar.gz": 123_456}, honour_ranges=False)
    with serve(release):
        release.add("/crictl.tar.gz", content)
        path = download.fetch_file(f"{release.base_url}/crictl.tar.gz", cache / "crictl.tar.gz", _sha(content))
    assert path.read_bytes() == content  # not the first 123456 bytes twice


def test_a_missing_file_is_one_clear_line(cache):
    with serve(FakeRelease()) as release, pytest.raises(LabError, match=r"cannot download .*/nothing: HTTP 404"):
        download.fetch_file(f"{release.base_url}/nothing", cache / "nothing", "0" * 64)


def test_binaries_come_from_the_official_url_layout(cache, tmp_path):
    """The whole binary part of the download source, with the recipe's URL layout re-rooted on loopback."""
    lab_recipe = recipe.with_kubernetes(recipe.load(), KUBERNETES.removeprefix("v"))
    versions = {name: component.version for name, component in lab_recipe.components.items()}
    release = FakeRelease()
    with serve(release):
        # the official layout, with the host part replaced by the fake release's address
        def local(url: str) -> str:
            return release.base_url + "/" + url.split("://", 1)[1].split("/", 1)[1]

        layout = {
            name: recipe.Download(local(spec.url), spec.checksum if spec.checksum.startswith("{url}") else local(spec.checksum))
            for name, spec in lab_recipe.download.items()
        }
        lab_recipe = recipe.Recipe(lab_recipe.components, lab_recipe.binaries, lab_recipe.cni_plugins, lab_recipe.images, layout)
        for binary in ("kubeadm", "kubelet", "kubectl"):
            release.add(
                f"/release/{KUBERNETES}/bin/linux/amd64/{binary}",
                binary.encode() * 100,
                checksum=f"/release/{KUBERNETES}/bin/linux/amd64/{binary}.sha256",
            )
        containerd = versions["containerd"]
        release.add(
            f"/containerd/containerd/releases/download/{containerd}/containerd-{containerd[1:]}-linux-amd64.tar.gz",
            _tarball(
                {"bin/containerd": b"c", "bin/containerd-shim-runc-v2": b"s", "bin/ctr": b"t", "bin/containerd-stress": b"x"}
            ),
            checksum=f"/containerd/containerd/releases/download/{containerd}/containerd-{containerd[1:]}-linux-amd64.tar.gz.sha256sum",
            checksum_style="listed",
        )
        runc = versions["runc"]
        release.add(f"/opencontainers/runc/releases/download/{runc}/runc.amd64", b"runc")
        release.files[f"/opencontainers/runc/releases/download/{runc}/runc.sha256sum"] = (
            f"{_sha(b'other')}  runc.arm64\n{_sha(b'runc')}  runc.amd64\n".encode()
        )
        crictl = versions["crictl"]
        release.add(
            f"/kubernetes-sigs/cri-tools/releases/download/{crictl}/crictl-{crictl}-linux-amd64.tar.gz",
            _tarball({"crictl": b"crictl"}),
            checksum=f"/kubernetes-sigs/cri-tools/releases/download/{crictl}/crictl-{crictl}-linux-amd64.tar.gz.sha256",
        )
        cni = versions["cni-plugins"]
        release.add(
            f"/containernetworking/plugins/releases/download/{cni}/cni-plugins-linux-amd64-{cni}.tgz",
            _tarball({f"./{plugin}": plugin.encode() for plugin in (*lab_recipe.cni_plugins, "vlan", "dhcp")}),
            checksum=f"/containernetworking/plugins/releases/download/{cni}/cni-plugins-linux-amd64-{cni}.tgz.sha256",
        )
        manifest = Manifest(kubernetes_version=KUBERNETES[1:], source="download", fingerprint="test")
        root = tmp_path / "bundle"
        root.mkdir()
        download.fetch_binaries(lab_recipe, manifest, root, Progress("test"))

    assert sorted(p.name for p in (root / "bin").iterdir()) == sorted(
        ["kubeadm", "kubelet", "kubectl", "containerd", "containerd-shim-runc-v2", "ctr", "runc", "crictl"]
    )
    assert (root / "bin" / "kubelet").read_bytes() == b"kubelet" * 100
    assert (root / "bin" / "runc").read_bytes() == b"runc"
    assert sorted(p.name for p in (root / "cni").iterdir()) == sorted(lab_recipe.cni_plugins)
    assert manifest.binaries["crictl"] == "bin/crictl"
    assert all((root / "bin" / name).stat().st_mode & 0o111 for name in manifest.binaries)
