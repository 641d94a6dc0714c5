"""The lab's settings file (`settings.yml`): Kubernetes version, network and nodes."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cloudmart_lab.errors import LabError
from cloudmart_lab.paths import settings_file

# Minors whose kubeadm still runs on cgroup v1 hosts and that the bundle recipe knows how to build.
SUPPORTED_MINORS = ("1.36", "1.37")
PLATFORM_PROFILES = ("lite", "full")
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
ROLES = ("control_plane", "worker")
MAX_PORT = 65535


@dataclass(frozen=True)
class Node:
    name: str
    role: str
    ip: str
    cpus: int
    memory_mib: int


@dataclass(frozen=True)
class HostPort:
    """A port of this server that leads to a node container's port (a workshop learner's SSH, API
    server and shop, reached from the learner's own machine)."""

    host_port: int
    node: str
    node_port: int


@dataclass(frozen=True)
class Settings:
    kubernetes_version: str  # "1.37.2", without the leading v
    nodes: tuple[Node, ...]
    network_cidr: str
    pod_cidr: str
    service_cidr: str
    boxes: dict[str, str]
    # False for a bare kubeadm cluster (role tests): no CloudMart, so one node is enough
    platform: bool = True
    # CloudMart's data layer: lite (one instance of each store) or full (replicated, clustered)
    platform_profile: str = "lite"
    # node containers start with the bundles' images in containerd (preload.py); false: the node
    # role copies and imports them, as it does on a VM
    preload_images: bool = True
    # docker provider: the server's ports published to the nodes (a workshop learner's cluster)
    published_ports: tuple[HostPort, ...] = ()

    @property
    def control_plane(self) -> Node:
        return next(node for node in self.nodes if node.role == "control_plane")

    @property
    def workers(self) -> tuple[Node, ...]:
        return tuple(node for node in self.nodes if node.role == "worker")


def check_kubernetes_version(version: str) -> str:
    """Return the version without a leading "v", or explain why the lab cannot run it."""
    bare = version.removeprefix("v")
    match = _VERSION.match(bare)
    if not match:
        raise LabError(f"Kubernetes version {version!r} is not of the form 1.37.2; fix kubernetes_version in settings.yml")
    minor = f"{match[1]}.{match[2]}"
    if minor not in SUPPORTED_MINORS:
        raise LabError(
            f"Kubernetes {bare} is not supported by the lab (supported minors: {', '.join(SUPPORTED_MINORS)}); "
            "fix kubernetes_version in settings.yml"
        )
    return bare


def is_dns_label(name: str) -> bool:
    """Whether name can name a node: its hostname, its Kubernetes node and its container."""
    return bool(_NAME.match(name))


def check_role(role: Any, where: str) -> str:
    if role not in ROLES:
        raise LabError(f"{where}: role {role!r} must be one of {', '.join(ROLES)}")
    return str(role)


def check_sizes(raw: dict[str, Any], where: str) -> tuple[int, int]:
    """A node's cpus and memory_mib, as whole numbers."""
    sizes = {}
    for key, least in (("cpus", 1), ("memory_mib", 1024)):
        value = raw.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise LabError(f"{where}: {key} must be a whole number of at least {least}, not {value!r}")
        sizes[key] = value
    return sizes["cpus"], sizes["memory_mib"]


def check_one_control_plane(roles: Iterable[str], source: str) -> None:
    if sum(role == "control_plane" for role in roles) != 1:
        raise LabError(f"{source}: nodes must hold exactly one control_plane node")


def check_flag(raw: dict[str, Any], key: str, source: str, default: bool = True) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise LabError(f"{source}: {key} must be true or false, not {value!r}")
    return value


def check_platform_profile(raw: dict[str, Any], source: str, default: str = "lite") -> str:
    profile = raw.get("platform_profile", default)
    if profile not in PLATFORM_PROFILES:
        raise LabError(f"{source}: platform_profile must be one of {', '.join(PLATFORM_PROFILES)}, not {profile!r}")
    return str(profile)


def check_workers_for_platform(roles: Iterable[str], platform: bool, source: str) -> None:
    # CloudMart's requests and its disruption budgets need the capacity of two workers
    if platform and sum(role == "worker" for role in roles) < 2:
        raise LabError(f"{source}: nodes must hold at least two workers to run CloudMart (or set platform: false)")


def _node(raw: Any, network: ipaddress.IPv4Network, index: int) -> Node:
    where = f"settings.yml: nodes[{index}]"
    if not isinstance(raw, dict):
        raise LabError(f"{where} must be a mapping with name, role, ip, cpus and memory_mib")
    name = str(raw.get("name", ""))
    if not is_dns_label(name):
        raise LabError(f"{where}: name {name!r} must be a lowercase DNS label such as worker-1")
    role = check_role(raw.get("role"), where)
    try:
        ip = ipaddress.IPv4Address(str(raw.get("ip")))
    except ValueError:
        raise LabError(f"{where}: ip {raw.get('ip')!r} is not an IPv4 address") from None
    if ip not in network or ip in (network.network_address, network.broadcast_address, network.network_address + 1):
        raise LabError(f"{where}: ip {ip} must be a host address inside {network} other than {network.network_address + 1}")
    cpus, memory_mib = check_sizes(raw, where)
    return Node(name, role, str(ip), cpus, memory_mib)


def parse(raw: Any, source: str = "settings.yml") -> Settings:
    if not isinstance(raw, dict):
        raise LabError(f"{source} must be a mapping of settings")
    version = check_kubernetes_version(str(raw.get("kubernetes_version", "")))
    network_raw = raw.get("network") or {}
    try:
        network = ipaddress.IPv4Network(str(network_raw.get("cidr")))
    except ValueError:
        raise LabError(f"{source}: network.cidr {network_raw.get('cidr')!r} is not a network such as 10.77.0.0/24") from None
    nodes = tuple(_node(item, network, i) for i, item in enumerate(raw.get("nodes") or []))
    check_one_control_plane((node.role for node in nodes), source)
    platform = check_flag(raw, "platform", source)
    profile = check_platform_profile(raw, source)
    preload = check_flag(raw, "preload_images", source)
    check_workers_for_platform((node.role for node in nodes), platform, source)
    for attribute in ("name", "ip"):
        values = [getattr(node, attribute) for node in nodes]
        duplicates = sorted({value for value in values if values.count(value) > 1})
        if duplicates:
            raise LabError(f"{source}: node {attribute} {duplicates[0]} is used twice")
    published = _published_ports(raw.get("published_ports") or [], nodes, source)
    return Settings(
        kubernetes_version=version,
        nodes=nodes,
        network_cidr=str(network),
        pod_cidr=str(network_raw.get("pod_cidr", "10.244.0.0/16")),
        service_cidr=str(network_raw.get("service_cidr", "10.96.0.0/12")),
        boxes=dict(raw.get("boxes") or {}),
        platform=platform,
        platform_profile=profile,
        preload_images=preload,
        published_ports=published,
    )


def _published_ports(raw: Any, nodes: tuple[Node, ...], source: str) -> tuple[HostPort, ...]:
    if not isinstance(raw, list):
        raise LabError(f"{source}: published_ports must list {{host_port, node, node_port}} mappings")
    names = [node.name for node in nodes]
    ports: list[HostPort] = []
    for index, item in enumerate(raw):
        where = f"{source}: published_ports[{index}]"
        if not isinstance(item, dict) or set(item) != {"host_port", "node", "node_port"}:
            raise LabError(f"{where} must be a mapping of host_port, node and node_port")
        if item["node"] not in names:
            raise LabError(f"{where}: node {item['node']!r} is not one of the nodes ({', '.join(names)})")
        for key in ("host_port", "node_port"):
            value = item[key]
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_PORT:
                raise LabError(f"{where}: {key} must be a port number from 1 to {MAX_PORT}, not {value!r}")
        if item["host_port"] in (port.host_port for port in ports):
            raise LabError(f"{where}: host_port {item['host_port']} is published twice")
        ports.append(HostPort(item["host_port"], item["node"], item["node_port"]))
    return tuple(ports)


def load(path: Path | None = None) -> Settings:
    path = path or settings_file()
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise LabError(f"settings file {path} is missing; restore it from the repository") from None
    except yaml.YAMLError as err:
        raise LabError(f"settings file {path} is not valid YAML: {' '.join(str(err).split())}") from None
    return parse(raw, path.name)
