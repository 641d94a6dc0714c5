"""The machine the lab runs on: its packages, its Docker engine and the kernel limits nodes need."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from cloudmart_lab.errors import LabError
from cloudmart_lab.shell import run

# Debian packages the controller needs, by the command that shows each is present.
HOST_PACKAGES = {
    "dockerd": "docker.io",
    "vagrant": "vagrant",
    "debootstrap": "debootstrap",
    "rsync": "rsync",
    "ssh-keygen": "openssh-client",
    "gcc": "gcc",
    "patch": "patch",
}
# runc links libseccomp statically; the header and archive come from this package.
BUILD_PACKAGES = ("libseccomp-dev", "pkg-config")
# The services' own tests run against real PostgreSQL, Redis and RabbitMQ servers started on
# loopback; the lab tests open the web frontend in a real headless browser.
TEST_PACKAGES = ("postgresql-15", "redis-server", "rabbitmq-server", "chromium")
DOCKERD_LOG = Path("/var/log/cloudmart-lab-dockerd.log")
# Several kubelets and containerds share the host's inotify instances (kind gives the same advice).
INOTIFY_INSTANCES = 8192


def _dpkg_installed(package: str) -> bool:
    probe = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False)
    return probe.stdout.strip().endswith("installed")


def missing_packages() -> list[str]:
    missing = [package for command, package in HOST_PACKAGES.items() if shutil.which(command) is None]
    if shutil.which("dpkg-query"):
        missing += [package for package in (*BUILD_PACKAGES, *TEST_PACKAGES) if not _dpkg_installed(package)]
    return missing


def install_packages() -> list[str]:
    """Install what is missing with apt-get; returns what was installed."""
    missing = missing_packages()
    if not missing:
        return []
    if shutil.which("apt-get") is None:
        raise LabError(f"missing host packages {', '.join(missing)} and no apt-get to install them; install them by hand")
    if os.geteuid() != 0:
        raise LabError(f"missing host packages {', '.join(missing)}; run as root or: sudo apt-get install {' '.join(missing)}")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-qq"], env=env, what="apt-get update")
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env, what="apt-get install")
    return missing


VM_PROVIDER_TOOLS = {"virtualbox": "VBoxManage", "libvirt": "virsh"}


def check_provider(provider: str) -> None:
    """Refuse early, in one line, when the chosen Vagrant provider cannot work on this machine."""
    if provider in VM_PROVIDER_TOOLS:
        if shutil.which(VM_PROVIDER_TOOLS[provider]) is None:
            raise LabError(
                f"the {provider} provider needs {VM_PROVIDER_TOOLS[provider]}, which is not installed; "
                "install it, or use the docker provider (the default)"
            )
        return
    if provider != "docker":
        raise LabError(f"unknown provider {provider!r}; choose docker, virtualbox or libvirt")
    if shutil.which("dockerd") or docker_running():
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        return  # docker.io gets installed with the other host packages
    others = [name for name, tool in VM_PROVIDER_TOOLS.items() if shutil.which(tool)]
    if others:
        raise LabError(
            f"no Docker engine on this machine, but {others[0]} is here: "
            f"run VAGRANT_DEFAULT_PROVIDER={others[0]} make lab, or install docker.io"
        )
    raise LabError(
        "no Docker engine and no VM provider on this machine: install Docker (apt-get install docker.io) "
        "for node containers, or VirtualBox or libvirt for VMs"
    )


def docker_running() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


def ensure_docker(timeout: float = 60.0) -> str:
    """Reuse a running Docker engine or start dockerd; returns what was done."""
    if docker_running():
        return "reused the running Docker engine"
    dockerd = shutil.which("dockerd")
    if dockerd is None or shutil.which("docker") is None:
        raise LabError(
            "no Docker engine: install Docker (apt-get install docker.io) for the docker provider, "
            "or run vagrant up --provider=virtualbox|libvirt on a machine with a VM provider"
        )
    if os.geteuid() != 0:
        raise LabError(
            "the Docker engine is not running and only root can start it: sudo systemctl start docker (or sudo dockerd)"
        )
    with DOCKERD_LOG.open("a") as log:
        subprocess.Popen([dockerd], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if docker_running():
            return f"started dockerd (log: {DOCKERD_LOG})"
        time.sleep(0.5)
    raise LabError(f"dockerd did not answer within {timeout:.0f}s; see {DOCKERD_LOG}")


def raise_inotify_limit() -> None:
    limit = Path("/proc/sys/fs/inotify/max_user_instances")
    try:
        if int(limit.read_text()) < INOTIFY_INSTANCES and os.geteuid() == 0:
            limit.write_text(str(INOTIFY_INSTANCES))
    except OSError:
        pass  # a read-only /proc/sys (inside a container) keeps the machine's limit
