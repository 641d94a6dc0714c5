"""The workshop file: every learner's share derived from it, and one readable line for every bad input."""

from __future__ import annotations

import copy
import re
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

from cloudmart_lab import settings, workshop, workshop_inventory
from cloudmart_lab.errors import LabError
from cloudmart_lab.paths import REPO
from tests.unit.test_cli_errors import lab_cli

# The shipped settings.yml: the single lab on 10.77.0.0/24, pods on 10.244.0.0/16, services on 10.96.0.0/12.
LAB = settings.load()
TIMES = "\N{MULTIPLICATION SIGN}"  # as the capacity lines write it
INGRESS_NODE_PORT = yaml.safe_load((REPO / "roles" / "platform" / "defaults" / "main.yml").read_text())[
    "platform_ingress_node_port"
]
NODES = [
    {"role": "control_plane", "cpus": 2, "memory_mib": 3072},
    {"role": "worker", "cpus": 2, "memory_mib": 4096},
    {"role": "worker", "cpus": 2, "memory_mib": 4096},
]
ONE_SERVER = {
    "learners": ["learner01", "learner02", "learner03"],
    "placement": "one-server",
    "nodes": NODES,
    "platform": True,
    "platform_profile": "lite",
    "network_pool": "10.78.0.0/16",
    "host_ports": {"ssh": 22000, "api": 26000, "shop": 30000},
    "server_memory_mib": 65536,
}
ON_HOSTS = {
    "learners": ["learner01", "learner02", "learner03"],
    "placement": "hosts",
    "nodes": NODES,
    "ssh_user": "root",
    "ssh_key": "~/.ssh/cloudmart-workshop",
    "hosts": [{"name": f"pc-{n:02}", "address": f"192.168.50.{10 + n}"} for n in range(1, 11)],
}


def changed(base: dict, change) -> dict:
    raw = copy.deepcopy(base)
    change(raw)
    return raw


def parse(raw: object) -> workshop.Workshop:
    return workshop.parse(raw, "workshop.yml", LAB)


def test_the_example_file_is_a_valid_workshop():
    example = workshop.load(REPO / "workshop.example.yml", LAB)
    assert example.placement == "one-server"
    assert example.learners == ("learner01", "learner02", "learner03")


BAD_INPUTS = [
    # the file as a whole
    ("empty", ONE_SERVER, lambda raw: raw.clear(), "workshop.yml: placement must be one of one-server, hosts, not None"),
    ("unknown field", ONE_SERVER, lambda raw: raw.update(overcomit=1.5), "workshop.yml: unknown field 'overcomit'"),
    (
        "field of the other placement",
        ONE_SERVER,
        lambda raw: raw.update(hosts=[]),
        "workshop.yml: hosts applies to placement hosts only, and this workshop's is one-server",
    ),
    (
        "unknown placement",
        ONE_SERVER,
        lambda raw: raw.update(placement="cloud"),
        "workshop.yml: placement must be one of one-server, hosts, not 'cloud'",
    ),
    # learners
    (
        "no learners",
        ONE_SERVER,
        lambda raw: raw.update(learners=[]),
        "workshop.yml: learners must list at least one learner's name",
    ),
    ("learners missing", ONE_SERVER, lambda raw: raw.pop("learners"), "learners must list at least one learner's name"),
    (
        "duplicate learner",
        ONE_SERVER,
        lambda raw: raw["learners"].append("learner02"),
        "workshop.yml: learner learner02 is listed twice",
    ),
    (
        "learner not a DNS label",
        ONE_SERVER,
        lambda raw: raw["learners"].__setitem__(1, "Learner_2"),
        "workshop.yml: learners[1]: 'Learner_2' must be lowercase letters and digits, a letter first, at most 20 characters",
    ),
    (
        "learner name too long",
        ONE_SERVER,
        lambda raw: raw["learners"].__setitem__(2, "a" * 21),
        f"learners[2]: '{'a' * 21}' must be lowercase letters and digits, a letter first, at most 20 characters",
    ),
    (
        "learner name with a hyphen (invalid in the Ansible group cluster_<learner>)",
        ONE_SERVER,
        lambda raw: raw["learners"].__setitem__(0, "ana-maria"),
        "workshop.yml: learners[0]: 'ana-maria' must be lowercase letters and digits, a letter first",
    ),
    # nodes, by settings.yml's rules
    (
        "node too small",
        ONE_SERVER,
        lambda raw: raw["nodes"][1].update(memory_mib=512),
        "workshop.yml: nodes[1]: memory_mib must be a whole number of at least 1024, not 512",
    ),
    (
        "unknown role",
        ONE_SERVER,
        lambda raw: raw["nodes"][2].update(role="master"),
        "workshop.yml: nodes[2]: role 'master' must be one of control_plane, worker",
    ),
    (
        "two control planes",
        ONE_SERVER,
        lambda raw: raw["nodes"][1].update(role="control_plane"),
        "workshop.yml: nodes must hold exactly one control_plane node",
    ),
    (
        "one worker for CloudMart",
        ONE_SERVER,
        lambda raw: raw["nodes"].pop(),
        "workshop.yml: nodes must hold at least two workers to run CloudMart (or set platform: false)",
    ),
    (
        "a node named by hand",
        ONE_SERVER,
        lambda raw: raw["nodes"][0].update(name="cp"),
        "workshop.yml: nodes[0]: unknown field 'name'; a node has role, cpus, memory_mib",
    ),
    ("platform not a flag", ONE_SERVER, lambda raw: raw.update(platform="no"), "workshop.yml: platform must be true or false"),
    (
        "unknown data layer",
        ONE_SERVER,
        lambda raw: raw.update(platform_profile="ha"),
        "workshop.yml: platform_profile must be one of lite, full, not 'ha'",
    ),
    # one-server: the network pool
    (
        "pool not a network",
        ONE_SERVER,
        lambda raw: raw.update(network_pool="10.78.0.1/16"),
        "workshop.yml: network_pool '10.78.0.1/16' is not a network such as 10.78.0.0/16",
    ),
    (
        "pool too small",
        ONE_SERVER,
        lambda raw: raw.update(network_pool="10.78.0.0/23"),
        "workshop.yml: network_pool 10.78.0.0/23 holds 2 /24 networks but 3 learners need one each; use a /22 or larger",
    ),
    (
        "pool smaller than one learner's",
        ONE_SERVER,
        lambda raw: raw.update(network_pool="10.78.0.0/25"),
        "network_pool 10.78.0.0/25 holds 0 /24 networks but 3 learners need one each",
    ),
    (
        "pool over the single lab's network",
        ONE_SERVER,
        lambda raw: raw.update(network_pool="10.77.0.0/16"),
        "workshop.yml: network_pool 10.77.0.0/16 overlaps the single lab's network 10.77.0.0/24 (settings.yml network.cidr)",
    ),
    (
        "pool over the pod network",
        ONE_SERVER,
        lambda raw: raw.update(network_pool="10.244.8.0/22"),
        "network_pool 10.244.8.0/22 overlaps the pod network 10.244.0.0/16 (settings.yml network.pod_cidr)",
    ),
    (
        "pool over the service network",
        ONE_SERVER,
        lambda raw: raw.update(network_pool="10.100.0.0/16"),
        "network_pool 10.100.0.0/16 overlaps the service network 10.96.0.0/12 (settings.yml network.service_cidr)",
    ),
    # one-server: host ports
    (
        "port ranges that collide",
        ONE_SERVER,
        lambda raw: raw["host_ports"].update(api=22002),
        "workshop.yml: host_ports ssh (22000-22002) and api (22002-22004) overlap for 3 learners; "
        "keep their bases at least 3 apart",
    ),
    (
        "port range above 65535",
        ONE_SERVER,
        lambda raw: raw["host_ports"].update(shop=65534),
        "workshop.yml: host_ports.shop 65534 + 3 learners reaches 65536, above 65535",
    ),
    (
        "privileged port",
        ONE_SERVER,
        lambda raw: raw["host_ports"].update(ssh=22),
        "workshop.yml: host_ports.ssh must be a whole number from 1024 to 65535, not 22",
    ),
    (
        "unknown port kind",
        ONE_SERVER,
        lambda raw: raw["host_ports"].update(grafana=31000),
        "workshop.yml: host_ports.grafana is not a kind of port; the kinds are ssh, api, shop",
    ),
    # one-server: capacity inputs
    (
        "overcommit below 1",
        ONE_SERVER,
        lambda raw: raw.update(overcommit=0.5),
        "workshop.yml: overcommit must be a number of at least 1.0, not 0.5",
    ),
    ("overcommit a word", ONE_SERVER, lambda raw: raw.update(overcommit="lots"), "overcommit must be a number of at least 1.0"),
    (
        "negative reserve",
        ONE_SERVER,
        lambda raw: raw.update(reserve_mib=-1),
        "workshop.yml: reserve_mib must be a whole number of at least 0, not -1",
    ),
    (
        "server memory too small",
        ONE_SERVER,
        lambda raw: raw.update(server_memory_mib=512),
        "workshop.yml: server_memory_mib must be a whole number of at least 1024, not 512",
    ),
    # hosts
    (
        "host name listed twice",
        ON_HOSTS,
        lambda raw: raw["hosts"][4].update(name="pc-02"),
        "workshop.yml: hosts[4]: name pc-02 is listed twice (also hosts[1])",
    ),
    (
        "host address listed twice",
        ON_HOSTS,
        lambda raw: raw["hosts"][5].update(address="192.168.50.11"),
        "workshop.yml: hosts[5]: address 192.168.50.11 is listed twice (also hosts[0])",
    ),
    (
        "too few hosts",
        ON_HOSTS,
        lambda raw: raw["hosts"].__delitem__(slice(8, None)),
        f"workshop.yml: 3 learners {TIMES} 3 nodes need 9 hosts, but hosts lists 8",
    ),
    (
        "host address not an address",
        ON_HOSTS,
        lambda raw: raw["hosts"][0].update(address="pc-01.lab"),
        "workshop.yml: hosts[0]: address 'pc-01.lab' is not an IPv4 address",
    ),
    (
        "host inside the service network",
        ON_HOSTS,
        lambda raw: raw["hosts"][2].update(address="10.96.0.20"),
        "workshop.yml: hosts[2]: address 10.96.0.20 lies inside the service network 10.96.0.0/12 "
        "(settings.yml network.service_cidr)",
    ),
    ("no hosts", ON_HOSTS, lambda raw: raw.pop("hosts"), "workshop.yml: hosts must list the machines"),
    ("no key", ON_HOSTS, lambda raw: raw.pop("ssh_key"), "workshop.yml: ssh_key must name the private key Ansible logs in with"),
    (
        "a pool for machines",
        ON_HOSTS,
        lambda raw: raw.update(network_pool="10.78.0.0/16"),
        "workshop.yml: network_pool applies to placement one-server only, and this workshop's is hosts",
    ),
]


@pytest.mark.parametrize(("base", "change", "message"), [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS])
def test_a_bad_workshop_is_refused_in_one_line(base, change, message):
    with pytest.raises(LabError) as failure:
        parse(changed(base, change))
    assert message in str(failure.value)
    assert "\n" not in str(failure.value)


def test_a_file_that_is_not_a_mapping_is_refused():
    with pytest.raises(LabError, match=re.escape("workshop.yml must be a mapping with learners, placement and nodes")):
        parse(["learner01"])


def test_a_missing_or_broken_file_names_the_file(tmp_path):
    with pytest.raises(LabError, match=f"workshop file {tmp_path}/absent.yml is missing"):
        workshop.load(tmp_path / "absent.yml", LAB)
    (tmp_path / "broken.yml").write_text("learners: [a\n")
    with pytest.raises(LabError, match=f"workshop file {tmp_path}/broken.yml is not valid YAML"):
        workshop.load(tmp_path / "broken.yml", LAB)


def test_one_server_gives_each_learner_a_network_node_addresses_and_ports_by_their_order():
    plan = parse(ONE_SERVER)
    # (learner, network, nodes as name/role/ip, ssh, api and shop ports), written out from the rules:
    # the n-th learner (from 0) gets the n-th /24 of the pool and base + n of each port kind; in it the
    # control plane is .10 and worker k is .10+k
    expected = [
        (
            "learner01",
            "10.78.0.0/24",
            [
                ("learner01-cp", "control_plane", "10.78.0.10"),
                ("learner01-w1", "worker", "10.78.0.11"),
                ("learner01-w2", "worker", "10.78.0.12"),
            ],
            (22000, 26000, 30000),
        ),
        (
            "learner02",
            "10.78.1.0/24",
            [
                ("learner02-cp", "control_plane", "10.78.1.10"),
                ("learner02-w1", "worker", "10.78.1.11"),
                ("learner02-w2", "worker", "10.78.1.12"),
            ],
            (22001, 26001, 30001),
        ),
        (
            "learner03",
            "10.78.2.0/24",
            [
                ("learner03-cp", "control_plane", "10.78.2.10"),
                ("learner03-w1", "worker", "10.78.2.11"),
                ("learner03-w2", "worker", "10.78.2.12"),
            ],
            (22002, 26002, 30002),
        ),
    ]
    for cluster, (learner, network, nodes, (ssh, api, shop)) in zip(plan.clusters, expected, strict=True):
        assert (cluster.learner, cluster.network) == (learner, network)
        assert [(node.name, node.role, node.ip) for node in cluster.nodes] == nodes
        assert [(node.cpus, node.memory_mib) for node in cluster.nodes] == [(2, 3072), (2, 4096), (2, 4096)]
        assert [(port.kind, port.host_port, port.node, port.node_port) for port in cluster.ports] == [
            ("ssh", ssh, f"{learner}-cp", 22),
            ("api", api, f"{learner}-cp", 6443),
            ("shop", shop, f"{learner}-cp", INGRESS_NODE_PORT),
        ]
        assert cluster.state_folder.parts[-2:] == ("clusters", learner)
        assert cluster.memory_mib == 11264


def test_a_pool_that_does_not_start_at_zero_is_cut_from_its_own_start():
    plan = parse(changed(ONE_SERVER, lambda raw: raw.update(network_pool="10.80.8.0/22")))
    assert [cluster.network for cluster in plan.clusters] == ["10.80.8.0/24", "10.80.9.0/24", "10.80.10.0/24"]
    assert plan.clusters[2].control_plane.ip == "10.80.10.10"


def test_the_control_plane_comes_first_wherever_the_file_lists_it():
    plan = parse(changed(ONE_SERVER, lambda raw: raw.update(nodes=[NODES[1], NODES[0], NODES[2]])))
    assert [(node.name, node.ip) for node in plan.clusters[0].nodes] == [
        ("learner01-cp", "10.78.0.10"),
        ("learner01-w1", "10.78.0.11"),
        ("learner01-w2", "10.78.0.12"),
    ]


def test_without_nodes_every_learner_gets_the_single_lab_s_and_without_ports_the_default_bases():
    plan = parse(changed(ONE_SERVER, lambda raw: (raw.pop("nodes"), raw.pop("host_ports"))))
    assert [(node.role, node.cpus, node.memory_mib) for node in plan.clusters[1].nodes] == [
        (node.role, node.cpus, node.memory_mib) for node in LAB.nodes
    ]
    assert [port.host_port for port in plan.clusters[1].ports] == [22001, 26001, 30001]


def test_a_bare_workshop_publishes_no_shop_and_needs_no_worker():
    plan = parse(changed(ONE_SERVER, lambda raw: raw.update(platform=False, nodes=NODES[:1])))
    assert [port.kind for port in plan.clusters[0].ports] == ["ssh", "api"]
    assert [node.name for node in plan.clusters[0].nodes] == ["learner01-cp"]


def test_hosts_are_given_to_learners_in_order_and_written_as_the_workshop_inventory():
    plan = parse(changed(ON_HOSTS, lambda raw: (raw.update(learners=["ana", "ben"]), raw["hosts"].__delitem__(slice(7, None)))))
    assert [machine.name for machine in plan.clusters[1].machines] == ["pc-04", "pc-05", "pc-06"]
    assert [machine.name for machine in plan.spare_hosts] == ["pc-07"]
    assert workshop_inventory.inventory(plan) == {
        "all": {
            "vars": {
                "ansible_user": "root",
                "ansible_ssh_private_key_file": "~/.ssh/cloudmart-workshop",
                "lab_pod_cidr": "10.244.0.0/16",
                "lab_service_cidr": "10.96.0.0/12",
                "lab_platform": LAB.platform,
                "lab_platform_profile": LAB.platform_profile,
            },
            "children": {
                "control_plane": {
                    "hosts": {
                        "ana-cp": {"ansible_host": "192.168.50.11", "lab_node_ip": "192.168.50.11"},
                        "ben-cp": {"ansible_host": "192.168.50.14", "lab_node_ip": "192.168.50.14"},
                    }
                },
                "workers": {
                    "hosts": {
                        "ana-w1": {"ansible_host": "192.168.50.12", "lab_node_ip": "192.168.50.12"},
                        "ana-w2": {"ansible_host": "192.168.50.13", "lab_node_ip": "192.168.50.13"},
                        "ben-w1": {"ansible_host": "192.168.50.15", "lab_node_ip": "192.168.50.15"},
                        "ben-w2": {"ansible_host": "192.168.50.16", "lab_node_ip": "192.168.50.16"},
                    }
                },
                "cluster_ana": {
                    "vars": {"lab_cluster": "ana", "lab_kubeconfig": "{{ inventory_dir }}/../.lab/clusters/ana/kubeconfig"},
                    "hosts": {"ana-cp": None, "ana-w1": None, "ana-w2": None},
                },
                "cluster_ben": {
                    "vars": {"lab_cluster": "ben", "lab_kubeconfig": "{{ inventory_dir }}/../.lab/clusters/ben/kubeconfig"},
                    "hosts": {"ben-cp": None, "ben-w1": None, "ben-w2": None},
                },
            },
        }
    }


def test_the_inventory_has_the_shape_of_the_hand_written_example():
    hand_written = yaml.safe_load((REPO / "inventory" / "workshop.example.yml").read_text())
    same_room = {
        **ON_HOSTS,
        "learners": ["learner01", "learner02"],
        "hosts": [{"name": f"pc-{n}", "address": f"192.168.50.{n}"} for n in (11, 12, 13, 21, 22, 23)],
    }
    generated = workshop_inventory.inventory(parse(same_room))
    assert generated["all"]["children"] == hand_written["all"]["children"]
    # the bundle is the controller's (given with -e); the data layer is the workshop file's choice
    assert {key: value for key, value in hand_written["all"]["vars"].items() if key != "lab_bundle_dir"} == {
        key: value for key, value in generated["all"]["vars"].items() if key not in ("lab_platform", "lab_platform_profile")
    }


def test_the_inventory_is_written_as_a_hand_written_one_reads():
    plan = parse(ON_HOSTS)
    data = workshop_inventory.inventory(plan)
    text = workshop_inventory.to_yaml(data, "workshop.yml")
    assert yaml.safe_load(text) == data
    assert "        learner01-cp: {ansible_host: 192.168.50.11, lab_node_ip: 192.168.50.11}\n" in text
    assert "      hosts:\n        learner01-cp:\n        learner01-w1:\n" in text
    assert text.startswith("# Written by `python -m cloudmart_lab workshop inventory` from workshop.yml")


def test_the_inventory_names_the_state_folder_relative_to_itself_inside_the_repository(monkeypatch, tmp_path):
    monkeypatch.delenv("CLOUDMART_LAB_STATE", raising=False)
    assert workshop_inventory.state_root_from(REPO / "inventory") == "{{ inventory_dir }}/../.lab"
    assert workshop_inventory.state_root_from(tmp_path) == str(REPO / ".lab")


def test_one_server_has_no_inventory():
    with pytest.raises(LabError, match=re.escape("workshop.yml: placement one-server has no inventory to write")):
        workshop_inventory.inventory(parse(ONE_SERVER))


def test_memory_that_fits_shows_the_arithmetic():
    assert workshop.memory_fit(3, 11264, 1.0, 65536, 2048) == (
        f"3 learners {TIMES} 11.0 GiB of node memory / overcommit 1.0 = 33.0 GiB ≤ 62.0 GiB available on this server "
        "(64.0 GiB - 2.0 GiB reserved)"
    )
    # 8 * 11 / 1.5 = 58.67
    assert "= 58.7 GiB ≤ 62.0 GiB" in workshop.memory_fit(8, 11264, 1.5, 65536, 2048)


def test_memory_beyond_the_server_is_refused_with_the_arithmetic():
    with pytest.raises(LabError) as failure:
        workshop.memory_fit(30, 11264, 1.0, 65536, 2048)
    assert str(failure.value).startswith(
        f"30 learners {TIMES} 11.0 GiB of node memory / overcommit 1.0 = 330.0 GiB > 62.0 GiB available on this server "
        "(64.0 GiB - 2.0 GiB reserved); "
    )


def test_the_capacity_of_a_workshop_counts_every_learner_s_nodes():
    lines = workshop.capacity(parse(ONE_SERVER), workshop.Server(memory_mib=65536, cpus=16))
    assert lines == (
        f"3 learners {TIMES} 11.0 GiB of node memory / overcommit 1.0 = 33.0 GiB ≤ 62.0 GiB available on this server "
        "(64.0 GiB - 2.0 GiB reserved)",
        f"3 learners {TIMES} 6 CPUs of node limits = 18 CPUs on this server's 16 CPUs "
        "(1.1 per CPU; CPU time is shared, not reserved)",
    )
    with pytest.raises(LabError, match=r"= 33\.0 GiB > 30\.0 GiB available on this server \(32\.0 GiB - 2\.0 GiB reserved\)"):
        workshop.capacity(parse(ONE_SERVER), workshop.Server(memory_mib=32768, cpus=16))


def test_cpus_are_shared_except_a_node_larger_than_the_server():
    sizes = [workshop.NodeSize("control_plane", 4, 2048)]
    assert f"10 learners {TIMES} 4 CPUs of node limits = 40 CPUs on this server's 4 CPUs (10.0 per CPU;" in workshop.cpu_fit(
        10, sizes, 4
    )
    with pytest.raises(LabError, match="a node of 4 CPUs cannot run on this server's 2 CPUs"):
        workshop.cpu_fit(1, sizes, 2)


def test_hosts_need_learners_times_nodes_machines():
    assert workshop.capacity(parse(ON_HOSTS), workshop.Server(1024, 1)) == (
        f"3 learners {TIMES} 3 nodes = 9 hosts of the 10 listed (spare: pc-10)",
    )


def test_the_server_s_memory_comes_from_the_file_or_from_meminfo(tmp_path):
    assert workshop.this_server(parse(ONE_SERVER)).memory_mib == 65536
    (tmp_path / "meminfo").write_text("MemTotal:       24683792 kB\nMemFree:         1000 kB\n")
    assert workshop.meminfo_total_mib(tmp_path / "meminfo") == 24105
    with pytest.raises(LabError, match="set server_memory_mib in the workshop file"):
        workshop.meminfo_total_mib(tmp_path / "absent")


@pytest.mark.parametrize("held_on", ["0.0.0.0", "127.0.0.1"])
def test_a_port_another_program_listens_on_is_found_taken(held_on):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind((held_on, 0))
        held.listen()
        port = held.getsockname()[1]
        assert workshop.taken_ports([port]) == [port]
        plan = parse(changed(ONE_SERVER, lambda raw: raw.update(host_ports={"ssh": port - 1, "api": 26000, "shop": 30000})))
        with pytest.raises(LabError) as failure:
            workshop.check_ports_free(plan)
    message = str(failure.value)
    assert f"{port} (ssh of learner02)" in message
    assert "already taken on this server; stop what listens there or move host_ports in workshop.yml" in message
    assert "\n" not in message
    assert workshop.taken_ports([port]) == []


# ---- the command line


def assert_one_line_error(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def free_port_bases(count: int, ranges: int) -> list[int]:
    """Bases of ranges of count ports each that nothing listens on now, found by binding them here."""
    bases: list[int] = []
    for base in range(22000, 60000, 1000):
        try:
            for port in range(base, base + count):
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    probe.bind(("0.0.0.0", port))
        except OSError:
            continue
        bases.append(base)
        if len(bases) == ranges:
            return bases
    pytest.skip("no free port ranges on this machine")


def write(tmp_path: Path, raw: dict, name: str = "workshop.yml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def test_check_prints_each_learner_s_share_and_the_capacity(tmp_path):
    ssh, api, shop = free_port_bases(3, 3)
    small = [{**node, "cpus": 1} for node in NODES]  # one CPU each: no machine has fewer
    path = write(tmp_path, {**ONE_SERVER, "nodes": small, "host_ports": {"ssh": ssh, "api": api, "shop": shop}})
    done = lab_cli("workshop", "check", str(path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "workshop.yml: 3 learners, placement one-server, 3 nodes each (1 control plane, 2 workers), CloudMart lite"
    assert lines[1].split() == ["learner", "network", "ssh", "api", "shop", "memory"]
    assert lines[3].split() == ["learner02", "10.78.1.0/24", str(ssh + 1), str(api + 1), str(shop + 1), "11.0", "GiB"]
    assert "9 host ports free on this server" in lines
    assert (
        f"3 learners {TIMES} 11.0 GiB of node memory / overcommit 1.0 = 33.0 GiB ≤ 62.0 GiB available on this server"
        in done.stdout
    )


def test_check_of_a_workshop_on_machines(tmp_path):
    done = lab_cli("workshop", "check", str(write(tmp_path, ON_HOSTS)))
    assert done.returncode == 0, done.stderr
    assert "learner03  pc-07 (192.168.50.17), pc-08 (192.168.50.18), pc-09 (192.168.50.19)  11.0 GiB" in done.stdout
    assert done.stdout.rstrip().endswith(f"3 learners {TIMES} 3 nodes = 9 hosts of the 10 listed (spare: pc-10)")


def test_check_of_a_bad_file_gives_one_line(tmp_path):
    done = lab_cli(
        "workshop", "check", str(write(tmp_path, changed(ONE_SERVER, lambda raw: raw["learners"].append("learner01"))))
    )
    assert_one_line_error(done, "workshop.yml: learner learner01 is listed twice")
    (tmp_path / "broken.yml").write_text("learners: [a\n")
    assert_one_line_error(lab_cli("workshop", "check", str(tmp_path / "broken.yml")), "broken.yml is not valid YAML")


def test_check_refuses_a_room_too_big_for_the_server(tmp_path):
    path = write(tmp_path, {**ONE_SERVER, "learners": [f"learner{n:02}" for n in range(1, 31)], "host_ports": {}})
    done = lab_cli("workshop", "check", str(path))
    assert_one_line_error(done, f"30 learners {TIMES} 11.0 GiB of node memory / overcommit 1.0 = 330.0 GiB > 62.0 GiB available")


def test_inventory_writes_the_file_or_prints_it(tmp_path):
    path = write(tmp_path, ON_HOSTS)
    state = tmp_path / "state"
    written = lab_cli(
        "workshop", "inventory", str(path), "-o", str(tmp_path / "out" / "workshop.yml"), env={"CLOUDMART_LAB_STATE": str(state)}
    )
    assert written.returncode == 0, written.stderr
    inventory = yaml.safe_load((tmp_path / "out" / "workshop.yml").read_text())
    children = inventory["all"]["children"]
    assert children["cluster_learner02"]["vars"]["lab_kubeconfig"] == f"{state}/clusters/learner02/kubeconfig"
    assert list(children["cluster_learner03"]["hosts"]) == ["learner03-cp", "learner03-w1", "learner03-w2"]
    assert children["control_plane"]["hosts"]["learner03-cp"] == {"ansible_host": "192.168.50.17", "lab_node_ip": "192.168.50.17"}

    printed = lab_cli("workshop", "inventory", str(path), env={"CLOUDMART_LAB_STATE": str(REPO / ".lab")})
    assert printed.returncode == 0, printed.stderr
    assert yaml.safe_load(printed.stdout) == workshop_inventory.inventory(parse(ON_HOSTS))


def test_inventory_of_a_one_server_workshop_is_refused_in_one_line(tmp_path):
    done = lab_cli("workshop", "inventory", str(write(tmp_path, ONE_SERVER)))
    assert_one_line_error(done, "workshop.yml: placement one-server has no inventory to write")
