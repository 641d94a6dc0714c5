"""A workshop file: one small cluster per learner, all on this server or on a list of machines.

Everything a learner's cluster needs (network, node names and addresses, published ports, machines)
is derived here from the file, so that playbooks and templates only read the results.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import yaml

from cloudmart_lab import settings
from cloudmart_lab.bundle import platform
from cloudmart_lab.errors import LabError
from cloudmart_lab.paths import state_dir

PLACEMENTS = ("one-server", "hosts")
# A learner's name prefixes its node names and containers (learner01-w12): kept short so that
# they stay readable DNS labels whatever comes after it.
LEARNER_NAME_MAX = 20
# It also ends the Ansible group cluster_<learner>, where a hyphen is an invalid character: letters
# and digits only, so that one name serves as DNS label and group name alike.
LEARNER_NAME = re.compile(rf"^[a-z][a-z0-9]{{0,{LEARNER_NAME_MAX - 1}}}$")
COMMON_FIELDS = ("learners", "placement", "nodes", "platform", "platform_profile")
PLACEMENT_FIELDS = {
    "one-server": ("network_pool", "host_ports", "server_memory_mib", "overcommit", "reserve_mib"),
    "hosts": ("hosts", "ssh_user", "ssh_key"),
}
NODE_FIELDS = ("role", "cpus", "memory_mib")
MACHINE_FIELDS = ("name", "address")

# Beside 10.77.0.0/24 (the single lab's network) and outside Docker's own address pools.
DEFAULT_NETWORK_POOL = "10.78.0.0/16"
# One network per learner: a cluster of its own, which no other learner's node can reach.
LEARNER_PREFIX = 24
DEFAULT_RESERVE_MIB = 2048
# As in settings.yml: .1 is the gateway Docker gives the network, the control plane is .10 and
# worker k is .10+k, so a learner finds the same last digits as in the single lab.
FIRST_NODE_HOST = 10
LAST_HOST = 254
PORT_KINDS = ("ssh", "api", "shop")
DEFAULT_HOST_PORTS = {"ssh": 22000, "api": 26000, "shop": 30000}
# Below 1024 only root may listen, and the well-known services of the server live there.
LOWEST_HOST_PORT = 1024
HIGHEST_PORT = 65535
# The control plane's ports each kind leads to (the shop's is the platform role's ingress node port).
SSH_PORT = 22
API_SERVER_PORT = 6443
# Under the state folder: .lab/clusters/<learner>/ holds a learner's kubeconfig and records.
CLUSTERS_FOLDER = "clusters"
MIB_PER_GIB = 1024
TIMES = "\N{MULTIPLICATION SIGN}"  # the capacity lines' arithmetic, as written by hand


@dataclass(frozen=True)
class NodeSize:
    """One node of every learner's cluster; its name and address differ per learner."""

    role: str
    cpus: int
    memory_mib: int


@dataclass(frozen=True)
class Machine:
    name: str
    address: str


@dataclass(frozen=True)
class PublishedPort:
    kind: str  # ssh, api or shop
    host_port: int  # on the server: what the learner connects to
    node: str  # the node container it leads to
    node_port: int


@dataclass(frozen=True)
class LearnerCluster:
    learner: str
    index: int  # place in the workshop's learners: picks the learner's network and ports
    nodes: tuple[settings.Node, ...]  # the control plane first, then the workers in order
    network: str = ""  # one-server: the learner's own /24
    ports: tuple[PublishedPort, ...] = ()  # one-server
    machines: tuple[Machine, ...] = ()  # hosts: the machine of each node, in the order of nodes

    @property
    def control_plane(self) -> settings.Node:
        return self.nodes[0]

    @property
    def workers(self) -> tuple[settings.Node, ...]:
        return self.nodes[1:]

    @property
    def memory_mib(self) -> int:
        return sum(node.memory_mib for node in self.nodes)

    @property
    def state_folder(self) -> Path:
        return state_dir() / CLUSTERS_FOLDER / self.learner


@dataclass(frozen=True)
class Workshop:
    source: str  # the workshop file's name, for messages
    placement: str
    node_sizes: tuple[NodeSize, ...]  # of every learner's cluster, the control plane first
    clusters: tuple[LearnerCluster, ...]
    platform: bool
    platform_profile: str
    pod_cidr: str
    service_cidr: str
    network_pool: str = ""
    host_ports: tuple[tuple[str, int], ...] = ()  # (kind, base) of each published kind
    server_memory_mib: int | None = None  # None: what /proc/meminfo says
    overcommit: float = 1.0
    reserve_mib: int = DEFAULT_RESERVE_MIB
    hosts: tuple[Machine, ...] = ()
    ssh_user: str = "root"
    ssh_key: str = ""

    @property
    def learners(self) -> tuple[str, ...]:
        return tuple(cluster.learner for cluster in self.clusters)

    @property
    def spare_hosts(self) -> tuple[Machine, ...]:
        return self.hosts[len(self.clusters) * len(self.node_sizes) :]


def check_learners(room: Workshop, names: Sequence[str]) -> None:
    """Refuse a name that is not one of the room's learners."""
    unknown = [name for name in names if name not in room.learners]
    if unknown:
        raise LabError(f"{unknown[0]} is not a learner of {room.source}; its learners are {', '.join(room.learners)}")


@dataclass(frozen=True)
class Server:
    """What this server offers the node containers."""

    memory_mib: int
    cpus: int


def load(path: Path, lab: settings.Settings | None = None) -> Workshop:
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise LabError(f"workshop file {path} is missing; start from workshop.example.yml") from None
    except OSError as err:
        raise LabError(f"workshop file {path} cannot be read: {err.strerror}") from None
    except yaml.YAMLError as err:
        raise LabError(f"workshop file {path} is not valid YAML: {' '.join(str(err).split())}") from None
    return parse(raw, path.name, lab)


def parse(raw: Any, source: str = "workshop.yml", lab: settings.Settings | None = None) -> Workshop:
    """The workshop the file describes, every derived value computed; lab: settings.yml's (read when None)."""
    if not isinstance(raw, dict):
        raise LabError(f"{source} must be a mapping with learners, placement and nodes")
    if lab is None:
        lab = settings.load()
    placement = _placement(raw.get("placement"), source)
    _refuse_unknown_fields(raw, placement, source)
    learners = _learners(raw.get("learners"), source)
    sizes = _node_sizes(raw, lab, source)
    platform_on = settings.check_flag(raw, "platform", source, default=lab.platform)
    profile = settings.check_platform_profile(raw, source, default=lab.platform_profile)
    settings.check_workers_for_platform((size.role for size in sizes), platform_on, source)
    common = {
        "source": source,
        "placement": placement,
        "node_sizes": sizes,
        "platform": platform_on,
        "platform_profile": profile,
        "pod_cidr": lab.pod_cidr,
        "service_cidr": lab.service_cidr,
    }
    if placement == "one-server":
        return _on_one_server(raw, learners, common, _lab_networks(lab), source)
    return _on_hosts(raw, learners, common, _lab_networks(lab), source)


def _placement(value: Any, source: str) -> str:
    if value not in PLACEMENTS:
        raise LabError(f"{source}: placement must be one of {', '.join(PLACEMENTS)}, not {value!r}")
    return str(value)


def _refuse_unknown_fields(raw: dict[str, Any], placement: str, source: str) -> None:
    # A field of the other placement would be silently unused: most likely placement is not what was meant.
    known = COMMON_FIELDS + PLACEMENT_FIELDS[placement]
    for key in raw:
        other = next((name for name, fields in PLACEMENT_FIELDS.items() if key in fields and name != placement), None)
        if other:
            raise LabError(f"{source}: {key} applies to placement {other} only, and this workshop's is {placement}")
        if key not in known:
            raise LabError(f"{source}: unknown field {key!r} (known for placement {placement}: {', '.join(known)})")


def _learners(value: Any, source: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise LabError(f"{source}: learners must list at least one learner's name, such as [learner01, learner02]")
    seen: set[str] = set()
    for index, name in enumerate(value):
        if not isinstance(name, str) or not LEARNER_NAME.match(name):
            raise LabError(
                f"{source}: learners[{index}]: {name!r} must be lowercase letters and digits, a letter first, "
                f"at most {LEARNER_NAME_MAX} characters, such as learner01"
            )
        if name in seen:
            raise LabError(f"{source}: learner {name} is listed twice")
        seen.add(name)
    return tuple(value)


def _node_sizes(raw: dict[str, Any], lab: settings.Settings, source: str) -> tuple[NodeSize, ...]:
    """Each learner's nodes; without a nodes field, the single lab's own (settings.yml)."""
    if "nodes" not in raw:
        sizes = [NodeSize(node.role, node.cpus, node.memory_mib) for node in lab.nodes]
    else:
        items = raw["nodes"]
        if not isinstance(items, list):
            raise LabError(f"{source}: nodes must list the nodes of each learner's cluster, each with role, cpus and memory_mib")
        sizes = [_node_size(item, f"{source}: nodes[{index}]") for index, item in enumerate(items)]
    settings.check_one_control_plane((size.role for size in sizes), source)
    if FIRST_NODE_HOST + len(sizes) - 1 > LAST_HOST:
        raise LabError(f"{source}: nodes lists {len(sizes)} nodes, but a learner's /24 holds {LAST_HOST - FIRST_NODE_HOST + 1}")
    # the control plane takes the first address and the first machine; workers keep their order
    return tuple(sorted(sizes, key=lambda size: size.role != "control_plane"))


def _node_size(item: Any, where: str) -> NodeSize:
    if not isinstance(item, dict):
        raise LabError(f"{where} must be a mapping with {', '.join(NODE_FIELDS)}")
    unknown = [key for key in item if key not in NODE_FIELDS]
    if unknown:
        raise LabError(
            f"{where}: unknown field {unknown[0]!r}; a node has {', '.join(NODE_FIELDS)} "
            "(its name and address are derived for each learner)"
        )
    role = settings.check_role(item.get("role"), where)
    cpus, memory_mib = settings.check_sizes(item, where)
    return NodeSize(role, cpus, memory_mib)


def _lab_networks(lab: settings.Settings) -> tuple[tuple[str, str, ipaddress.IPv4Network], ...]:
    """(what, settings.yml field, network) of each network a learner's addresses must stay out of."""
    networks = []
    for what, field, value in (
        ("the single lab's network", "network.cidr", lab.network_cidr),
        ("the pod network", "network.pod_cidr", lab.pod_cidr),
        ("the service network", "network.service_cidr", lab.service_cidr),
    ):
        try:
            networks.append((what, field, ipaddress.IPv4Network(value)))
        except ValueError:
            raise LabError(f"settings.yml: {field} {value!r} is not a network such as 10.96.0.0/12") from None
    return tuple(networks)


def node_names(learner: str, sizes: Sequence[NodeSize]) -> tuple[str, ...]:
    """learner-cp for the control plane, learner-w1, learner-w2... for the workers in order."""
    names, workers = [], 0
    for size in sizes:
        if size.role == "control_plane":
            names.append(f"{learner}-cp")
        else:
            workers += 1
            names.append(f"{learner}-w{workers}")
    return tuple(names)


def _whole(raw: dict[str, Any], key: str, default: int, least: int, source: str) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise LabError(f"{source}: {key} must be a whole number of at least {least}, not {value!r}")
    return value


def _on_one_server(
    raw: dict[str, Any],
    learners: tuple[str, ...],
    common: dict[str, Any],
    lab_networks: tuple[tuple[str, str, ipaddress.IPv4Network], ...],
    source: str,
) -> Workshop:
    pool = _network_pool(raw.get("network_pool", DEFAULT_NETWORK_POOL), len(learners), lab_networks, source)
    node_ports = {"ssh": SSH_PORT, "api": API_SERVER_PORT}
    if common["platform"]:  # a bare cluster has no shop to publish
        node_ports["shop"] = platform.ingress_node_port()
    bases = _host_ports(raw.get("host_ports", {}), tuple(node_ports), len(learners), source)
    overcommit = raw.get("overcommit", 1.0)
    # Below 1.0 memory would be held back that nothing uses; reserve_mib is the way to keep some back.
    if not isinstance(overcommit, int | float) or isinstance(overcommit, bool) or not 1.0 <= overcommit < math.inf:
        raise LabError(f"{source}: overcommit must be a number of at least 1.0, not {overcommit!r}")
    clusters = tuple(
        _cluster_on_server(learner, index, pool, common["node_sizes"], bases, node_ports)
        for index, learner in enumerate(learners)
    )
    return Workshop(
        **common,
        clusters=clusters,
        network_pool=str(pool),
        host_ports=tuple(bases.items()),
        # left out (or empty): /proc/meminfo's when the workshop is checked on its server
        server_memory_mib=None if raw.get("server_memory_mib") is None else _whole(raw, "server_memory_mib", 0, 1024, source),
        overcommit=float(overcommit),
        reserve_mib=_whole(raw, "reserve_mib", DEFAULT_RESERVE_MIB, 0, source),
    )


def _network_pool(
    value: Any, learners: int, lab_networks: tuple[tuple[str, str, ipaddress.IPv4Network], ...], source: str
) -> ipaddress.IPv4Network:
    try:
        pool = ipaddress.IPv4Network(str(value))
    except ValueError:
        raise LabError(f"{source}: network_pool {value!r} is not a network such as {DEFAULT_NETWORK_POOL}") from None
    room = 2 ** (LEARNER_PREFIX - pool.prefixlen) if pool.prefixlen <= LEARNER_PREFIX else 0
    if room < learners:
        needed = LEARNER_PREFIX - (learners - 1).bit_length()
        raise LabError(
            f"{source}: network_pool {pool} holds {room} /{LEARNER_PREFIX} networks but {learners} learners need one each; "
            f"use a /{needed} or larger"
        )
    # Docker refuses a network overlapping another one (the single lab's), and a node address inside
    # the pod or service network would be routed into the cluster instead of to the node.
    for what, field, network in lab_networks:
        if pool.overlaps(network):
            raise LabError(
                f"{source}: network_pool {pool} overlaps {what} {network} (settings.yml {field}); choose a pool apart from it"
            )
    return pool


def _host_ports(value: Any, kinds: tuple[str, ...], learners: int, source: str) -> dict[str, int]:
    """The first host port of each kind; learner i (from 0, in the order of learners) gets base + i."""
    if not isinstance(value, dict):
        raise LabError(f"{source}: host_ports must map each of {', '.join(PORT_KINDS)} to its first port, such as {{ssh: 22000}}")
    unknown = [key for key in value if key not in PORT_KINDS]
    if unknown:
        raise LabError(f"{source}: host_ports.{unknown[0]} is not a kind of port; the kinds are {', '.join(PORT_KINDS)}")
    bases = {kind: value.get(kind, DEFAULT_HOST_PORTS[kind]) for kind in kinds}
    for kind, base in bases.items():
        if not isinstance(base, int) or isinstance(base, bool) or not LOWEST_HOST_PORT <= base <= HIGHEST_PORT:
            raise LabError(
                f"{source}: host_ports.{kind} must be a whole number from {LOWEST_HOST_PORT} to {HIGHEST_PORT}, not {base!r}"
            )
        if base + learners - 1 > HIGHEST_PORT:
            raise LabError(
                f"{source}: host_ports.{kind} {base} + {learners} learners reaches {base + learners - 1}, above {HIGHEST_PORT}; "
                "lower it"
            )
    for (kind, base), (other, other_base) in combinations(bases.items(), 2):
        if base < other_base + learners and other_base < base + learners:
            raise LabError(
                f"{source}: host_ports {kind} ({_span(base, learners)}) and {other} ({_span(other_base, learners)}) "
                f"overlap for {learners} learners; keep their bases at least {learners} apart"
            )
    return bases


def _span(base: int, count: int) -> str:
    return str(base) if count == 1 else f"{base}-{base + count - 1}"


def _cluster_on_server(
    learner: str,
    index: int,
    pool: ipaddress.IPv4Network,
    sizes: tuple[NodeSize, ...],
    bases: dict[str, int],
    node_ports: dict[str, int],
) -> LearnerCluster:
    network = ipaddress.IPv4Network((int(pool.network_address) + index * 2 ** (32 - LEARNER_PREFIX), LEARNER_PREFIX))
    nodes = tuple(
        settings.Node(name, size.role, str(network.network_address + FIRST_NODE_HOST + position), size.cpus, size.memory_mib)
        for position, (name, size) in enumerate(zip(node_names(learner, sizes), sizes, strict=True))
    )
    # every kind leads to the control plane: its SSH, its API server, and the ingress (on every node)
    ports = tuple(PublishedPort(kind, base + index, nodes[0].name, node_ports[kind]) for kind, base in bases.items())
    return LearnerCluster(learner, index, nodes, network=str(network), ports=ports)


def _on_hosts(
    raw: dict[str, Any],
    learners: tuple[str, ...],
    common: dict[str, Any],
    lab_networks: tuple[tuple[str, str, ipaddress.IPv4Network], ...],
    source: str,
) -> Workshop:
    sizes: tuple[NodeSize, ...] = common["node_sizes"]
    machines = _machines(raw.get("hosts"), lab_networks, source)
    check_enough_hosts(len(learners), len(sizes), len(machines), source)
    ssh_user, ssh_key = raw.get("ssh_user", "root"), raw.get("ssh_key")
    if not isinstance(ssh_user, str) or not ssh_user.strip():
        raise LabError(f"{source}: ssh_user must name the user Ansible logs in as, such as root, not {ssh_user!r}")
    if not isinstance(ssh_key, str) or not ssh_key.strip():
        raise LabError(f"{source}: ssh_key must name the private key Ansible logs in with, such as ~/.ssh/cloudmart-workshop")
    clusters = tuple(_cluster_on_hosts(learner, index, sizes, machines) for index, learner in enumerate(learners))
    return Workshop(**common, clusters=clusters, hosts=machines, ssh_user=ssh_user, ssh_key=ssh_key)


def _machines(value: Any, lab_networks: tuple[tuple[str, str, ipaddress.IPv4Network], ...], source: str) -> tuple[Machine, ...]:
    if not isinstance(value, list) or not value:
        raise LabError(f"{source}: hosts must list the machines, each as {{name: pc-01, address: 192.168.50.11}}")
    machines: list[Machine] = []
    for index, item in enumerate(value):
        machine = _machine(item, f"{source}: hosts[{index}]", lab_networks)
        for earlier, other in enumerate(machines):
            for field in MACHINE_FIELDS:
                if getattr(machine, field) == getattr(other, field):
                    raise LabError(
                        f"{source}: hosts[{index}]: {field} {getattr(machine, field)} is listed twice (also hosts[{earlier}])"
                    )
        machines.append(machine)
    return tuple(machines)


def _machine(item: Any, where: str, lab_networks: tuple[tuple[str, str, ipaddress.IPv4Network], ...]) -> Machine:
    if not isinstance(item, dict):
        raise LabError(f"{where} must be a mapping with name and address")
    unknown = [key for key in item if key not in MACHINE_FIELDS]
    if unknown:
        raise LabError(f"{where}: unknown field {unknown[0]!r}; a host has {', '.join(MACHINE_FIELDS)}")
    name = item.get("name")
    if not isinstance(name, str) or not name or name.split() != [name]:
        raise LabError(f"{where}: name {name!r} must be one word naming the machine, such as pc-01")
    try:
        address = ipaddress.IPv4Address(str(item.get("address")))
    except ValueError:
        raise LabError(f"{where}: address {item.get('address')!r} is not an IPv4 address") from None
    # The address becomes the node's address in its cluster (lab_node_ip): inside the pod or service
    # network it would be routed into the cluster. The single lab's network exists only on its server.
    for what, field, network in lab_networks:
        if field != "network.cidr" and address in network:
            raise LabError(f"{where}: address {address} lies inside {what} {network} (settings.yml {field})")
    return Machine(name, str(address))


def check_enough_hosts(learners: int, nodes_per_learner: int, hosts: int, source: str) -> None:
    needed = learners * nodes_per_learner
    if hosts < needed:
        raise LabError(
            f"{source}: {_count(learners, 'learner')} {TIMES} {_count(nodes_per_learner, 'node')} need {needed} hosts, "
            f"but hosts lists {hosts}; "
            "add machines, or lower learners or nodes"
        )


def _cluster_on_hosts(learner: str, index: int, sizes: tuple[NodeSize, ...], machines: tuple[Machine, ...]) -> LearnerCluster:
    mine = machines[index * len(sizes) : (index + 1) * len(sizes)]
    nodes = tuple(
        settings.Node(name, size.role, machine.address, size.cpus, size.memory_mib)
        for name, size, machine in zip(node_names(learner, sizes), sizes, mine, strict=True)
    )
    return LearnerCluster(learner, index, nodes, machines=mine)


def this_server(workshop: Workshop) -> Server:
    """The server's memory (the workshop's server_memory_mib, else /proc/meminfo) and CPUs."""
    return Server(workshop.server_memory_mib or meminfo_total_mib(), os.cpu_count() or 1)


def meminfo_total_mib(meminfo: Path = Path("/proc/meminfo")) -> int:
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    raise LabError(f"cannot read this server's memory from {meminfo}; set server_memory_mib in the workshop file")


def capacity(workshop: Workshop, server: Server) -> tuple[str, ...]:
    """One line per resource showing the arithmetic; a LabError with that line when the workshop does not fit."""
    if workshop.placement == "hosts":
        return (hosts_fit(workshop),)
    learners = len(workshop.clusters)
    per_learner_mib = sum(size.memory_mib for size in workshop.node_sizes)
    return (
        memory_fit(learners, per_learner_mib, workshop.overcommit, server.memory_mib, workshop.reserve_mib),
        cpu_fit(learners, workshop.node_sizes, server.cpus),
    )


def hosts_fit(workshop: Workshop) -> str:
    """Each machine is one node and brings its own size: only the number of machines counts."""
    learners, nodes, listed = len(workshop.clusters), len(workshop.node_sizes), len(workshop.hosts)
    check_enough_hosts(learners, nodes, listed, workshop.source)
    spare = ", ".join(machine.name for machine in workshop.spare_hosts)
    line = f"{_count(learners, 'learner')} {TIMES} {_count(nodes, 'node')} = {learners * nodes} hosts of the {listed} listed"
    return f"{line} (spare: {spare})" if spare else line


def memory_fit(learners: int, per_learner_mib: int, overcommit: float, server_mib: int, reserve_mib: int) -> str:
    """Memory is refused beyond the server's: past it, the kernel's OOM killer stops node containers."""
    needed = learners * per_learner_mib / overcommit
    available = server_mib - reserve_mib
    fits = needed <= available
    line = (
        f"{_count(learners, 'learner')} {TIMES} {_gib(per_learner_mib)} GiB of node memory / overcommit {overcommit} "
        f"= {_gib(needed)} GiB {'≤' if fits else '>'} {_gib(available)} GiB available on this server "
        f"({_gib(server_mib)} GiB - {_gib(reserve_mib)} GiB reserved)"
    )
    if not fits:
        raise LabError(f"{line}; lower learners or the nodes' memory_mib, or raise overcommit")
    return line


def cpu_fit(learners: int, sizes: Sequence[NodeSize], server_cpus: int) -> str:
    """CPUs are reported, not refused, except a node larger than the server.

    A node's cpus is a Docker CPU limit (a ceiling on its share of time), not a reservation: the
    clusters of a room idle most of the time, and a busy moment only slows them down, whereas memory
    beyond the server's gets containers killed. Docker does refuse a container more CPUs than the machine has.
    """
    largest = max(size.cpus for size in sizes)
    if largest > server_cpus:
        raise LabError(
            f"a node of {largest} CPUs cannot run on this server's {server_cpus} CPUs "
            "(Docker refuses a container more CPUs than the machine has); lower cpus in nodes"
        )
    per_learner = sum(size.cpus for size in sizes)
    total = learners * per_learner
    return (
        f"{_count(learners, 'learner')} {TIMES} {_count(per_learner, 'CPU')} of node limits = {_count(total, 'CPU')} "
        f"on this server's {_count(server_cpus, 'CPU')} "
        f"({total / server_cpus:.1f} per CPU; CPU time is shared, not reserved)"
    )


def _gib(mib: float) -> str:
    return f"{mib / MIB_PER_GIB:.1f}"


def _count(count: int, thing: str) -> str:
    return f"{count} {thing}" if count == 1 else f"{count} {thing}s"


def taken_ports(ports: Iterable[int], address: str = "0.0.0.0") -> list[int]:
    """The ports among these that cannot be bound on address now (another program listens there)."""
    taken = []
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # as Docker's port proxy binds: a closed connection lingering in TIME_WAIT does not hold the port
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((address, port))
            except OSError:
                taken.append(port)
    return taken


def check_ports_free(workshop: Workshop, address: str = "0.0.0.0") -> str:
    """Every port the learners' clusters publish is free on this server, or a LabError naming the taken ones."""
    published = [(port, cluster.learner) for cluster in workshop.clusters for port in cluster.ports]
    taken = set(taken_ports((port.host_port for port, _ in published), address))
    if taken:
        named = [f"{port.host_port} ({port.kind} of {learner})" for port, learner in published if port.host_port in taken]
        shown = ", ".join(named[:5]) + (f" and {len(named) - 5} more" if len(named) > 5 else "")
        subject = f"port {shown} is" if len(named) == 1 else f"ports {shown} are"
        raise LabError(f"{subject} already taken on this server; stop what listens there or move host_ports in {workshop.source}")
    return f"{len(published)} host ports free on this server"


def summary(workshop: Workshop) -> list[str]:
    sizes = workshop.node_sizes
    workers = len(sizes) - 1
    lines = [
        f"{workshop.source}: {_count(len(workshop.clusters), 'learner')}, placement {workshop.placement}, "
        f"{_count(len(sizes), 'node')} each (1 control plane, {_count(workers, 'worker')}), "
        + (f"CloudMart {workshop.platform_profile}" if workshop.platform else "no CloudMart")
    ]
    if workshop.placement == "one-server":
        kinds = [kind for kind, _ in workshop.host_ports]
        rows = [["learner", "network", *kinds, "memory"]]
        rows += [
            [c.learner, c.network, *(str(port.host_port) for port in c.ports), f"{_gib(c.memory_mib)} GiB"]
            for c in workshop.clusters
        ]
    else:
        rows = [["learner", "hosts", "memory"]]
        rows += [
            [c.learner, ", ".join(f"{m.name} ({m.address})" for m in c.machines), f"{_gib(c.memory_mib)} GiB"]
            for c in workshop.clusters
        ]
    return lines + table(rows)


def table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
