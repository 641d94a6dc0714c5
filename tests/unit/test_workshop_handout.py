"""The folder each learner of a room on one server is handed: their kubeconfig through the server's
published API port (the certificate still checked against the control plane's own name), their
key with an ssh_config that ssh itself reads, the shop, their own page, a sheet in two languages.
The clusters' state folders here hold a real key and a kubeconfig of the shape kubeadm writes; the
handout used against real clusters is the workshop's lab test's."""

from __future__ import annotations

import stat
import subprocess
import tarfile

import pytest
import yaml

from cloudmart_lab import workshop, workshop_handout
from cloudmart_lab.errors import LabError
from cloudmart_lab.workshop_secrets import RoomSecrets
from tests.unit.test_workshop import LAB, ON_HOSTS, ONE_SERVER

ADDRESS = "192.0.2.40"  # the server, as the room reaches it


def kubeadm_kubeconfig(server: str, learner: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kubernetes", "cluster": {"server": server, "certificate-authority-data": f"CA-of-{learner}"}}],
        "contexts": [{"name": "kubernetes-admin@kubernetes", "context": {"cluster": "kubernetes", "user": "kubernetes-admin"}}],
        "current-context": "kubernetes-admin@kubernetes",
        "users": [{"name": "kubernetes-admin", "user": {"client-certificate-data": f"cert-of-{learner}"}}],
    }


@pytest.fixture
def room(tmp_path, monkeypatch):
    monkeypatch.setenv("CLOUDMART_LAB_STATE", str(tmp_path / "state"))
    plan = workshop.parse(ONE_SERVER, "workshop.yml", LAB)
    for cluster in plan.clusters:
        (cluster.state_folder / "ssh").mkdir(parents=True)
        key = cluster.state_folder / "ssh" / "id_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        server = f"https://{cluster.control_plane.ip}:6443"
        (cluster.state_folder / "kubeconfig").write_text(yaml.safe_dump(kubeadm_kubeconfig(server, cluster.learner)))
    return plan


def test_each_learner_is_handed_their_own_cluster_through_the_servers_ports(room, tmp_path):
    handouts = workshop_handout.make_all(room, ADDRESS, f"http://{ADDRESS}:8080")
    secrets = RoomSecrets.of(room.learners)
    assert [handout.learner for handout in handouts] == list(room.learners)
    second, cluster = handouts[1], room.clusters[1]
    ports = {port.kind: port.host_port for port in cluster.ports}
    assert (ports["ssh"], ports["api"], ports["shop"]) == (22001, 26001, 30001)

    config = yaml.safe_load((second.folder / "kubeconfig").read_text())
    assert config["clusters"][0]["cluster"]["server"] == f"https://{ADDRESS}:26001"
    assert config["clusters"][0]["cluster"]["tls-server-name"] == cluster.control_plane.ip == "10.78.1.10"
    assert config["users"][0]["user"]["client-certificate-data"] == "cert-of-learner02"
    assert (second.folder / "id_ed25519").read_bytes() == (cluster.state_folder / "ssh" / "id_ed25519").read_bytes()
    for secret in ("kubeconfig", "id_ed25519"):
        assert stat.S_IMODE((second.folder / secret).stat().st_mode) == 0o600

    # what ssh itself makes of the config, run from the handout's folder
    def resolved(node: str) -> dict[str, str]:
        said = subprocess.run(
            ["ssh", "-G", "-F", "ssh_config", node], cwd=second.folder, capture_output=True, text=True, check=True
        ).stdout
        return dict(line.split(" ", 1) for line in said.splitlines() if " " in line)

    control_plane = resolved("learner02-cp")
    assert (control_plane["hostname"], control_plane["port"], control_plane["user"]) == (ADDRESS, "22001", "root")
    assert control_plane["identityfile"] == "./id_ed25519"
    worker = resolved("learner02-w2")
    assert (worker["hostname"], worker["proxyjump"]) == ("10.78.1.12", "learner02-cp")

    sheet = (second.folder / "README.md").read_text()
    assert f"http://{ADDRESS}:8080/learner/{secrets.tokens['learner02']}" in sheet
    assert f"http://{ADDRESS}:30001/" in sheet and "learner02의 클러스터" in sheet
    assert "25, 25, 20, 20" in sheet and "90 minutes" in sheet, "the time boxes come from the scenario catalog"
    others = [secrets.tokens["learner01"], secrets.tokens["learner03"], secrets.instructor_token, *secrets.seeds.values()]
    handed = "".join(path.read_text(errors="replace") for path in second.folder.iterdir())
    assert not any(secret in handed for secret in others), "no other learner's link, no seed, no instructor's link"

    with tarfile.open(second.archive) as packed:
        assert sorted(packed.getnames()) == sorted(
            ["learner02", *(f"learner02/{name}" for name in ("README.md", "id_ed25519", "kubeconfig", "ssh_config"))]
        )


def test_handing_out_a_cluster_that_is_not_up_or_a_room_on_hosts_is_refused(room, tmp_path):
    (room.clusters[2].state_folder / "kubeconfig").unlink()
    with pytest.raises(LabError, match=r"^learner03's cluster is not up \(.*kubeconfig is missing\): run `workshop up`"):
        workshop_handout.make_all(room, ADDRESS, "http://scoreboard")
    assert not (tmp_path / "state" / "workshop" / "handout" / "learner03").exists()
    on_hosts = workshop.parse(ON_HOSTS, "hosts.yml", LAB)
    with pytest.raises(LabError, match="handouts are made for a room on one server"):
        workshop_handout.make_all(on_hosts, ADDRESS, "http://scoreboard")
