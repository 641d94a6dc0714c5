"""settings.yml: the one place for the Kubernetes version and the nodes."""

from __future__ import annotations

import copy

import pytest
import yaml

from cloudmart_lab import settings
from cloudmart_lab.errors import LabError
from cloudmart_lab.paths import REPO

SHIPPED = yaml.safe_load((REPO / "settings.yml").read_text())


def with_change(change) -> dict:
    raw = copy.deepcopy(SHIPPED)
    change(raw)
    return raw


def test_the_shipped_settings_describe_one_control_plane_and_two_workers():
    lab = settings.load()
    assert lab.control_plane.name == "control-plane"
    assert [worker.name for worker in lab.workers] == ["worker-1", "worker-2"]
    assert lab.kubernetes_version.startswith(("1.36.", "1.37."))


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("1.99.0", "Kubernetes 1.99.0 is not supported by the lab (supported minors: 1.36, 1.37)"),
        ("1.25.0", "Kubernetes 1.25.0 is not supported"),
        ("latest", "Kubernetes version 'latest' is not of the form 1.37.2"),
    ],
)
def test_an_unknown_kubernetes_version_is_refused_in_one_line(version, message):
    with pytest.raises(LabError) as failure:
        settings.parse(with_change(lambda raw: raw.update(kubernetes_version=version)))
    assert message in str(failure.value)
    assert "\n" not in str(failure.value)


def test_a_leading_v_is_accepted():
    assert settings.parse(with_change(lambda raw: raw.update(kubernetes_version="v1.36.3"))).kubernetes_version == "1.36.3"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda raw: raw["nodes"].pop(), "at least two workers to run CloudMart"),
        (lambda raw: raw.update(platform="no"), "platform must be true or false"),
        (lambda raw: raw.update(platform_profile="ha"), "platform_profile must be one of lite, full, not 'ha'"),
        (lambda raw: raw["nodes"][1].update(role="control_plane"), "exactly one control_plane"),
        (lambda raw: raw["nodes"][2].update(ip=raw["nodes"][1]["ip"]), "node ip 10.77.0.11 is used twice"),
        (lambda raw: raw["nodes"][1].update(ip="192.168.1.4"), "must be a host address inside 10.77.0.0/24"),
        (lambda raw: raw["nodes"][1].update(ip="10.77.0.1"), "other than 10.77.0.1"),
        (lambda raw: raw["nodes"][1].update(memory_mib=512), "memory_mib must be a whole number of at least 1024"),
        (lambda raw: raw["nodes"][1].update(name="Worker_1"), "must be a lowercase DNS label"),
    ],
)
def test_bad_nodes_are_explained(change, message):
    with pytest.raises(LabError, match=message):
        settings.parse(with_change(change))


def published(*ports: dict) -> object:
    return lambda raw: raw.update(published_ports=list(ports))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (published({"host_port": 22000, "node": "worker-9", "node_port": 22}), r"node 'worker-9' is not one of the nodes"),
        (published({"host_port": 70000, "node": "control-plane", "node_port": 22}), "host_port must be a port number"),
        (published({"host_port": 22000, "node": "control-plane"}), r"published_ports\[0\] must be a mapping of host_port"),
        (
            published(
                {"host_port": 22000, "node": "control-plane", "node_port": 22},
                {"host_port": 22000, "node": "worker-1", "node_port": 22},
            ),
            r"published_ports\[1\]: host_port 22000 is published twice",
        ),
        (lambda raw: raw.update(published_ports={"ssh": 22000}), "published_ports must list"),
    ],
)
def test_bad_published_ports_are_explained(change, message):
    with pytest.raises(LabError, match=message):
        settings.parse(with_change(change))


def test_a_lab_publishes_no_port_unless_its_settings_say_so():
    assert settings.load().published_ports == ()
    ports = settings.parse(with_change(published({"host_port": 26000, "node": "control-plane", "node_port": 6443})))
    assert ports.published_ports == (settings.HostPort(26000, "control-plane", 6443),)


def test_a_bare_cluster_needs_no_worker():
    bare = settings.parse(with_change(lambda raw: (raw.update(platform=False), raw["nodes"].__delitem__(slice(1, None)))))
    assert (bare.platform, bare.workers) == (False, ())
    assert settings.parse(with_change(lambda raw: None)).platform


def test_the_data_layer_profile_is_lite_unless_full_is_asked_for():
    assert settings.parse(with_change(lambda raw: raw.pop("platform_profile", None))).platform_profile == "lite"
    assert settings.parse(with_change(lambda raw: raw.update(platform_profile="full"))).platform_profile == "full"


def test_a_missing_settings_file_names_the_file(tmp_path):
    with pytest.raises(LabError, match=f"settings file {tmp_path}/absent.yml is missing"):
        settings.load(tmp_path / "absent.yml")
