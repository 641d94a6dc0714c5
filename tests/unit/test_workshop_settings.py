"""Each learner's settings.yml on one server: what the Vagrantfile, the inventory and the toolkit
read for that learner's cluster alone."""

from __future__ import annotations

from cloudmart_lab import settings, workshop, workshop_settings
from tests.unit.test_workshop import LAB, ONE_SERVER


def test_each_learner_s_settings_load_as_the_lab_s_and_hold_their_own_cluster(tmp_path, monkeypatch):
    monkeypatch.setenv("CLOUDMART_LAB_STATE", str(tmp_path))
    room = workshop.parse(ONE_SERVER, "workshop.yml", LAB)
    written = {cluster.learner: workshop_settings.write(cluster, room, LAB) for cluster in room.clusters}
    loaded = {learner: settings.load(path) for learner, path in written.items()}
    for cluster in room.clusters:
        mine = loaded[cluster.learner]
        assert written[cluster.learner] == tmp_path / "clusters" / cluster.learner / "settings.yml"
        assert mine.nodes == cluster.nodes, "the learner's node names, addresses and sizes"
        assert mine.network_cidr == cluster.network
        assert (mine.kubernetes_version, mine.pod_cidr, mine.service_cidr) == (
            LAB.kubernetes_version,
            LAB.pod_cidr,
            LAB.service_cidr,
        )
        assert (mine.platform, mine.platform_profile, mine.preload_images) == (True, "lite", LAB.preload_images)
        assert mine.published_ports == tuple(
            settings.HostPort(port.host_port, port.node, port.node_port) for port in cluster.ports
        ), "the server's ports that lead to the learner's SSH, API server and shop"
        assert {port.node for port in mine.published_ports} == {cluster.control_plane.name}
    networks = [mine.network_cidr for mine in loaded.values()]
    names = [node.name for mine in loaded.values() for node in mine.nodes]
    assert len(set(networks)) == len(networks) and len(set(names)) == len(names), "no two learners share a network or a node name"
    assert (
        written["learner02"]
        .read_text()
        .startswith("# Made by `python -m cloudmart_lab workshop` from workshop.yml for learner02")
    )


def test_the_environment_points_every_tool_at_the_learner_s_folder_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("CLOUDMART_LAB_STATE", str(tmp_path))
    room = workshop.parse(ONE_SERVER, "workshop.yml", LAB)
    first, second = (workshop_settings.environment(cluster) for cluster in room.clusters[:2])
    assert first == {
        "CLOUDMART_LAB_SETTINGS": str(tmp_path / "clusters" / "learner01" / "settings.yml"),
        "CLOUDMART_LAB_STATE": str(tmp_path / "clusters" / "learner01"),
        "VAGRANT_DOTFILE_PATH": str(tmp_path / "clusters" / "learner01" / ".vagrant"),
    }
    assert all(first[key] != second[key] for key in first), "no setting, state or machine record is shared"
