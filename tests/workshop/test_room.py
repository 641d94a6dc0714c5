"""A room of three learners on this one server, run as an instructor runs it, after the shared lab
is gone: `workshop up` brings up a bare cluster per learner (a control plane and a worker) side by
side; `workshop run challenge.yml` starts the challenge's control-plane scenario for all, each
broken with their own generated seed; `workshop handout` makes each learner's folder; the
scoreboard re-verifies everyone. Learner 2 (ben) repairs from his handed-out folder alone (only
kubectl and ssh on PATH, an empty home, no checkout), and the scoreboard shows him repaired and the
others not; cat's page, open in Chromium, changes without a reload once she is repaired. One
learner's kubeconfig and key open no other learner's cluster, and nothing on a learner's nodes or
in their cluster holds a seed, another variant or a healthy copy. Freezing writes the final table;
`workshop down` removes everything. Bare clusters keep this within CI's time: the platform's
scenarios are the shared lab's tests'. On a bare cluster the control-plane scenario's last level
(an alert that would fire while the API server is down) needs the platform's Prometheus, so a
learner's full repair there earns the first two levels' share (20 of 25), as molecule's default
scenario also finds."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from cloudmart_lab import memory, settings, workshop, workshop_handout
from cloudmart_lab.paths import REPO
from cloudmart_lab.workshop_secrets import RoomSecrets
from tests.browser import Browser
from tests.lab.conftest import NOTES, TIMINGS
from tests.workshop.scores import CATALOG, CONTROL_PLANE, REPAIRED

LEARNERS = ("ann", "ben", "cat")
STATE = REPO / ".lab" / "workshop-test"
ROOM = {
    "learners": list(LEARNERS),
    "placement": "one-server",
    "nodes": [{"role": "control_plane", "cpus": 2, "memory_mib": 2048}, {"role": "worker", "cpus": 2, "memory_mib": 2048}],
    "platform": False,
    "network_pool": "10.79.0.0/16",
    "host_ports": {"ssh": 22700, "api": 26700},
}
SCENARIO = "control-plane"
MANIFEST = "/etc/kubernetes/manifests/kube-apiserver.yaml"
INTERVAL = 10
FAULTS = CONTROL_PLANE["faults"]

# the reference repair, done by a learner over SSH: the flags back to the values etcd and every kubeconfig use
REPAIR = " && ".join(
    f"sed -i -E 's#--{fault['flag']}=[^\"[:space:]]+#--{fault['flag']}={fault['healthy']}#' {MANIFEST}" for fault in FAULTS
)


@dataclass
class Room:
    file: Path
    env: dict[str, str]
    plan: workshop.Workshop
    secrets: RoomSecrets
    kubectl: Path
    address: str

    def state(self, learner: str) -> Path:
        return STATE / "clusters" / learner

    def cluster(self, learner: str) -> workshop.LearnerCluster:
        return next(cluster for cluster in self.plan.clusters if cluster.learner == learner)

    def node_shell(self, learner: str, node_ip: str, command: str) -> subprocess.CompletedProcess[str]:
        """As the instructor: straight to the node's address with the learner's cluster key."""
        key = self.state(learner) / "ssh" / "id_ed25519"
        return subprocess.run(
            ["ssh", *SSH_OPTIONS, "-i", str(key), f"root@{node_ip}", command], capture_output=True, text=True, timeout=120
        )

    def injected(self, learner: str) -> dict[str, str]:
        """The value each fault of the scenario takes with this learner's seed."""
        return {fault["flag"]: CATALOG.pick(fault, self.secrets.seeds[learner]) for fault in FAULTS}


SSH_OPTIONS = (
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
)


def cli(env: dict[str, str], *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudmart_lab", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )


def until(predicate: Callable[[], bool], seconds: float, pause: float = 1.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(pause)
    return False


def distinct_seeds(room_file: Path) -> RoomSecrets:
    """Seeds generated as the workshop makes them, made again until no two learners get the same
    wrong values (3 variants of each of 2 flags: two learners share theirs one time in nine)."""
    for _ in range(50):
        (STATE / "workshop" / "secrets.json").unlink(missing_ok=True)
        secrets = RoomSecrets.of(LEARNERS)
        picked = {tuple(CATALOG.pick(fault, secrets.seeds[name]) for fault in FAULTS) for name in LEARNERS}
        if len(picked) == len(LEARNERS):
            return secrets
    raise AssertionError(f"no three distinct variants in 50 tries: is {room_file}'s catalog still varied?")


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Room]:
    shutil.rmtree(STATE, ignore_errors=True)
    STATE.mkdir(parents=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CLOUDMART_LAB_STATE", str(STATE))
        env = os.environ | {"CLOUDMART_LAB_STATE": str(STATE)}
        file = STATE / "room.yml"
        file.write_text(yaml.safe_dump(ROOM))
        plan = workshop.load(file)
        secrets = distinct_seeds(file)
        began = time.monotonic()
        up = cli(env, "workshop", "up", str(file), "--parallel", "3", timeout=1200)
        TIMINGS["workshop: 3 bare learner clusters up (prepared once, then side by side)"] = time.monotonic() - began
        logs = "\n".join((STATE / "clusters" / name / "up.log").read_text()[-1500:] for name in LEARNERS)
        assert up.returncode == 0, up.stdout + up.stderr + logs
        bundle = json.loads((STATE / "clusters" / "ann" / "lab.json").read_text())["bundle_dir"]
        try:
            yield Room(file, env, plan, secrets, Path(bundle) / "bin" / "kubectl", workshop_handout.server_address())
        finally:
            began = time.monotonic()
            down = cli(env, "workshop", "down", str(file))
            TIMINGS["workshop: 3 learner clusters down"] = time.monotonic() - began
            assert down.returncode == 0, down.stdout + down.stderr
            left = subprocess.run(
                ["docker", "ps", "--all", "--quiet", "--filter", "name=ann-", "--filter", "name=ben-", "--filter", "name=cat-"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            assert left == [], f"node containers left behind: {left}"


def test_the_challenge_breaks_every_learner_with_their_own_variant(room: Room):
    lab_settings = {name: settings.load(room.state(name) / "settings.yml") for name in LEARNERS}
    bare = {name: sum(memory.at_rest(lab_settings[name]).values()) for name in LEARNERS}
    NOTES.append("workshop: a bare learner cluster at rest " + ", ".join(f"{n} {b / (1 << 30):.2f} GiB" for n, b in bare.items()))

    began = time.monotonic()
    started = cli(room.env, "workshop", "run", str(room.file), "challenge.yml", "-e", f"scenarios={SCENARIO}", timeout=900)
    TIMINGS["workshop: the challenge started for 3 learners"] = time.monotonic() - began
    assert started.returncode == 0, started.stdout + started.stderr
    assert started.stdout.strip().endswith("3 of 3 learners done"), started.stdout

    found = {}
    for name in LEARNERS:
        manifest = room.node_shell(name, room.cluster(name).control_plane.ip, f"cat {MANIFEST}").stdout
        found[name] = {fault["flag"]: re.search(rf"--{fault['flag']}=(\S+)", manifest)[1] for fault in FAULTS}
        assert found[name] == room.injected(name), f"{name} is broken with the variant of their own seed"
    assert len({tuple(values.values()) for values in found.values()}) == len(LEARNERS), found


@pytest.fixture(scope="module")
def handouts(room: Room) -> Path:
    made = cli(room.env, "workshop", "handout", str(room.file), "--address", room.address, "--scoreboard-url", "http://unused")
    assert made.returncode == 0, made.stdout + made.stderr
    return STATE / "workshop" / "handout"


@dataclass
class LearnerMachine:
    """A learner's own machine, as far as the lab is concerned: the handed-out archive unpacked in
    an empty home, kubectl and ssh on PATH and nothing else."""

    folder: Path
    env: dict[str, str]

    @classmethod
    def of(cls, handouts: Path, learner: str, tmp_path: Path, kubectl: Path) -> LearnerMachine:
        home, tools = tmp_path / f"{learner}-home", tmp_path / f"{learner}-bin"
        home.mkdir()
        tools.mkdir()
        (tools / "kubectl").symlink_to(kubectl)
        (tools / "ssh").symlink_to(shutil.which("ssh") or "/usr/bin/ssh")
        with tarfile.open(handouts / f"{learner}.tar.gz") as packed:
            packed.extractall(home, filter="data")
        return cls(home / learner, {"PATH": str(tools), "HOME": str(home), "KUBECONFIG": "kubeconfig"})

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(argv), cwd=self.folder, env=self.env, capture_output=True, text=True, timeout=120)


def test_a_learner_repairs_from_the_handed_out_folder_and_the_scoreboard_sees_it(room: Room, handouts: Path, tmp_path: Path):
    port = free_port()
    scoreboard = ["workshop", "scoreboard", str(room.file), "--interval", str(INTERVAL), "--port", str(port)]
    board = subprocess.Popen(
        [sys.executable, "-m", "cloudmart_lab", *scoreboard, "--bind", room.address, "--parallel", "3"],
        cwd=REPO,
        env=room.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    browser = Browser()
    base = f"http://{room.address}:{port}"
    try:
        ben = LearnerMachine.of(handouts, "ben", tmp_path, room.kubectl)
        began = time.monotonic()
        repair = ben.run("ssh", "-F", "ssh_config", "ben-cp", REPAIR)
        assert repair.returncode == 0, repair.stderr
        answers = until(lambda: ben.run("kubectl", "get", "--raw", "/readyz").stdout.strip() == "ok", 180, 2)
        assert answers, "ben's API server answers his handed-out kubeconfig through the server's port"
        assert ben.run("kubectl", "get", "nodes", "-o", "name").stdout.split() == ["node/ben-cp", "node/ben-w1"]
        TIMINGS["workshop: ben's repair until his API server answered"] = time.monotonic() - began

        projector = f"{base}/board"
        assert until(lambda: repaired(points(projector, "ben")), 240, 3), fetch(projector)
        assert not repaired(points(projector, "ann")) and not repaired(points(projector, "cat")), fetch(projector)
        TIMINGS["workshop: ben's repair until the scoreboard showed it"] = time.monotonic() - began

        browser.open(f"{base}/learner/{room.secrets.tokens['cat']}")
        browser.evaluate("window.openedOnce = true")
        page = browser.text()
        assert "cat" in page and not re.search(r"\bben\b", page), "her page shows her alone"
        leaked = [value for value in room.injected("cat").values() if value in page]
        assert not leaked and "etcd-servers" not in page and "secure-port" not in page, page
        print(f"cat's page before her repair: {browser.screenshot('workshop-learner-before')}")

        assert room.node_shell("cat", room.cluster("cat").control_plane.ip, REPAIR).returncode == 0
        assert until(lambda: repaired(browser.text("#board b")), 240, 2), browser.text("#board")
        assert browser.evaluate("window.openedOnce") is True, "the page changed in place, without a reload"
        print(f"cat's page after her repair: {browser.screenshot('workshop-learner-after')}")

        browser.open(f"{base}/instructor/{room.secrets.instructor_token}")
        instructor = browser.text()
        assert all(name in instructor for name in LEARNERS) and "etcd" in instructor, instructor
        print(f"instructor's page: {browser.screenshot('workshop-instructor')}")
        browser.open(f"{base}/")
        ranks = browser.text("#board")
        assert ranks.index("ben") < ranks.index("ann") and ranks.index("cat") < ranks.index("ann"), ranks
        print(f"projector's page: {browser.screenshot('workshop-projector')}")
        browser.open(f"{base}/learner/{room.secrets.tokens['cat']}x")
        assert "opens no learner's page" in browser.text()
    finally:
        browser.close()
        board.send_signal(signal.SIGTERM)
        out, err = board.communicate(timeout=60)
        print(out, err)


def test_one_learners_kubeconfig_and_key_open_no_other_cluster(room: Room, handouts: Path, tmp_path: Path):
    ann = LearnerMachine.of(handouts, "ann", tmp_path, room.kubectl)
    ben = {port.kind: port.host_port for port in room.cluster("ben").ports}
    mine = ann.run("ssh", "-F", "ssh_config", "ann-cp", "hostname")
    assert mine.stdout.strip() == "ann-cp", mine.stderr
    theirs = ann.run("ssh", "-F", "ssh_config", "-p", str(ben["ssh"]), "-o", "HostKeyAlias=ben-cp", "ann-cp", "hostname")
    assert theirs.returncode != 0 and "Permission denied" in theirs.stderr, theirs.stdout + theirs.stderr
    server = ("--server", f"https://{room.address}:{ben['api']}", "--tls-server-name", room.cluster("ben").control_plane.ip)
    refused = ann.run("kubectl", *server, "get", "--raw", "/readyz")
    assert refused.returncode != 0 and "certificate signed by unknown authority" in refused.stderr, refused.stderr


def test_freezing_writes_the_final_table(room: Room):
    frozen = cli(room.env, "workshop", "freeze", str(room.file))
    assert frozen.returncode == 0, frozen.stdout + frozen.stderr
    rows = {
        line.split("|")[2].strip(): line.split("|")[3].strip() for line in frozen.stdout.splitlines() if line.startswith("| ")
    }
    assert repaired(rows["ben"]) and repaired(rows["cat"]) and not repaired(rows["ann"]), frozen.stdout
    final = STATE / "workshop" / "final"
    assert (final / "history.csv").read_text().count("\nben,") >= 1
    report = json.loads((final / "ben" / "verify-instructor.json").read_text())
    assert report["score"] >= REPAIRED and report["scenarios"][0]["level"] == "root"


def test_no_seed_variant_or_healthy_copy_on_a_learners_nodes_or_in_their_cluster(room: Room):
    """After the freeze, so that ann's API server can be repaired for her cluster's objects to be read."""
    assert room.node_shell("ann", room.cluster("ann").control_plane.ip, REPAIR).returncode == 0
    ann = [str(room.kubectl), "--kubeconfig", str(room.state("ann") / "kubeconfig"), "get", "--raw", "/readyz"]
    assert until(lambda: subprocess.run(ann, capture_output=True, text=True).stdout.strip() == "ok", 180, 2)
    every_seed = list(room.secrets.seeds.values())
    for name in LEARNERS:
        own = room.injected(name)
        # every wrong value of the catalog but the learner's own, written as the manifest writes it
        others = [
            f"--{fault['flag']}={value}"
            for fault in FAULTS
            for value in [fault["seed"], *fault["variants"]]
            if value != own[fault["flag"]]
        ]
        needles = " ".join(f"-e '{needle}'" for needle in [*every_seed, *others, "lab_seed"])
        for node in room.cluster(name).nodes:
            found = room.node_shell(
                name, node.ip, f"grep -rIlF {needles} /etc /root /home /tmp /var/tmp /var/lib/kubelet /opt /srv 2>/dev/null; true"
            )
            assert found.stdout.strip() == "", f"{node.name} holds {found.stdout}"
            copies = room.node_shell(
                name,
                node.ip,
                # the pod's own logs under /var/log are named after it, and are no copy
                "find / -xdev -name '*kube-apiserver*' -not -path '/etc/kubernetes/manifests/*' "
                "-not -path '/var/lib/containerd/*' -not -path '/proc/*' -not -path '/var/log/*' -not -path '/usr/*'",
            )
            assert copies.stdout.strip() == "", f"{node.name} keeps a copy of the API server's manifest: {copies.stdout}"
        kubeconfig = str(room.state(name) / "kubeconfig")
        objects = subprocess.run(
            [
                str(room.kubectl),
                "--kubeconfig",
                kubeconfig,
                "get",
                "configmaps,secrets,deployments,daemonsets,pods,nodes,namespaces",
                "--all-namespaces",
                "-o",
                "json",
                "--show-managed-fields",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        held = [needle for needle in [*every_seed, *others, "lab_seed"] if needle in objects]
        assert held == [], f"{name}'s cluster objects hold {held}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("", 0))
        return int(probe.getsockname()[1])


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read().decode()


def repaired(text: str) -> bool:
    """Whether the first points the text shows ("20 / 25") are a full repair's on a bare cluster."""
    shown = re.search(r"(\d+(?:\.\d+)?) / \d+", text)
    return shown is not None and float(shown[1]) >= REPAIRED


def points(board_url: str, learner: str) -> str:
    """The points the projector's board shows for a learner ("25 / 25"), or ""."""
    try:
        board = fetch(board_url)
    except OSError:
        return ""
    row = re.search(rf"<td[^>]*>\s*{learner}\s*</td>\s*<td[^>]*>([^<]*)</td>", board)
    return row[1].strip() if row else ""
