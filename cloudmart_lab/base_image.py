"""The Debian 12 base image every other image starts from, made with debootstrap.

No container registry is reachable from the lab's build machines, so `FROM debian:12` cannot be
pulled; the base is bootstrapped from Debian's package mirror and imported into Docker instead.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from cloudmart_lab import docker
from cloudmart_lab.errors import LabError
from cloudmart_lab.paths import cache_dir
from cloudmart_lab.shell import require, run

# "localhost/" says the image comes from no registry, and containerd keeps the name as it is.
BASE_IMAGE = "localhost/cloudmart-lab/debian:bookworm"
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
INCLUDE = ("ca-certificates", "netbase")
SOURCES = f"""\
deb {MIRROR} {SUITE} main
deb {MIRROR} {SUITE}-updates main
deb http://deb.debian.org/debian-security {SUITE}-security main
"""


def rootfs_archive() -> Path:
    return cache_dir() / "base" / f"debian-{SUITE}-minbase.tar"


def ensure(log: Path) -> str:
    """Make sure the base image is in Docker; returns what was done."""
    if docker.image_exists(BASE_IMAGE):
        return f"{BASE_IMAGE} already present"
    archive = rootfs_archive()
    if not archive.exists():
        _bootstrap(archive, log)
        made = "bootstrapped and imported"
    else:
        made = "imported from the cached rootfs"
    run(["docker", "import", "--change", 'CMD ["/bin/bash"]', str(archive), BASE_IMAGE], log=log, what="docker import")
    return f"{BASE_IMAGE} {made}"


def _bootstrap(archive: Path, log: Path) -> None:
    require("debootstrap", "install it with apt-get install debootstrap")
    work = archive.parent / f"{SUITE}-rootfs.partial"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    run(
        ["debootstrap", "--variant=minbase", f"--include={','.join(INCLUDE)}", SUITE, str(work), MIRROR],
        log=log,
        what="debootstrap",
    )
    (work / "etc/apt/sources.list").write_text(SOURCES)
    for leftover in ("var/lib/apt/lists", "var/cache/apt/archives"):
        for path in (work / leftover).glob("*"):
            if path.is_file():
                path.unlink()
    # An empty machine-id makes every container derived from this base generate its own at boot.
    (work / "etc/machine-id").write_text("")
    partial = archive.with_suffix(".tar.partial")
    run(["tar", "--numeric-owner", "-C", str(work), "-cf", str(partial), "."], log=log, what="tar rootfs")
    partial.replace(archive)
    shutil.rmtree(work)
    if not archive.exists():
        raise LabError(f"debootstrap produced no rootfs at {archive}")
