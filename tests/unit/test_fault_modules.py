"""The fault modules' logic on the real shapes they edit: kubeadm's API server manifest, kubeadm's
Corefile, Services, claims and Deployments as the API returns them. The lab tests run the same
modules against the real cluster."""

from __future__ import annotations

import sys

import pytest
import yaml

from cloudmart_lab.paths import REPO
from tests.ansible_helpers import run_module

sys.path.insert(0, str(REPO / ".ansible" / "collections"))

from ansible_collections.cloudmart.lab.plugins.module_utils import claims
from ansible_collections.cloudmart.lab.plugins.module_utils.kube import KubeError
from ansible_collections.cloudmart.lab.plugins.modules import (
    coredns_nxdomain,
    deployment_rollout,
    service_routing,
    static_pod_flags,
)

# The shape kubeadm writes (flags, then probes on the secure port).
APISERVER = """\
apiVersion: v1
kind: Pod
metadata:
  annotations:
    kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint: 172.30.0.10:6443
  labels:
    component: kube-apiserver
    tier: control-plane
  name: kube-apiserver
  namespace: kube-system
spec:
  containers:
  - command:
    - kube-apiserver
    - --advertise-address=172.30.0.10
    - --etcd-servers=https://127.0.0.1:2379
    - --secure-port=6443
    - --service-cluster-ip-range=10.96.0.0/12
    image: registry.k8s.io/kube-apiserver:v1.37.2
    livenessProbe:
      httpGet:
        host: 172.30.0.10
        path: /livez
        port: probe-port
        scheme: HTTPS
    name: kube-apiserver
    ports:
    - containerPort: 6443
      name: probe-port
      protocol: TCP
  hostNetwork: true
"""

COREFILE = """\
.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
"""


def test_flags_are_set_in_place_and_the_probes_stay():
    broken, before = static_pod_flags.set_flags(APISERVER, {"etcd-servers": "https://127.0.0.1:2380", "secure-port": "6444"})
    assert before == {"etcd-servers": "https://127.0.0.1:2379", "secure-port": "6443"}
    command = yaml.safe_load(broken)["spec"]["containers"][0]["command"]
    assert "--etcd-servers=https://127.0.0.1:2380" in command and "--secure-port=6444" in command
    assert yaml.safe_load(broken)["spec"]["containers"][0]["ports"][0]["containerPort"] == 6443
    assert len(broken.splitlines()) == len(APISERVER.splitlines())
    repaired, _ = static_pod_flags.set_flags(broken, {"etcd-servers": "https://127.0.0.1:2379", "secure-port": "6443"})
    assert repaired == APISERVER


def test_a_missing_flag_is_added_to_the_command():
    text, before = static_pod_flags.set_flags(APISERVER, {"profiling": "false"})
    assert before == {"profiling": None}
    assert yaml.safe_load(text)["spec"]["containers"][0]["command"][-1] == "--profiling=false"


def test_a_manifest_without_flags_is_refused():
    with pytest.raises(static_pod_flags.ManifestError, match="no --flag=value"):
        static_pod_flags.set_flags("kind: Pod\n", {"secure-port": "1"})


def test_the_module_edits_once_keeps_no_copy_and_supports_check_mode_and_diff(tmp_path):
    manifest = tmp_path / "manifests" / "kube-apiserver.yaml"
    manifest.parent.mkdir()
    manifest.write_text(APISERVER)
    manifest.chmod(0o600)
    args = {"path": manifest, "flags": {"secure-port": "6444"}}
    checked = run_module("cloudmart.lab.static_pod_flags", args, check=True, diff=True)
    assert checked["changed"] and manifest.read_text() == APISERVER
    assert "--secure-port=6444" in checked["diff"]["after"]
    assert "diff" not in run_module("cloudmart.lab.static_pod_flags", args, check=True), "a diff only when asked for"
    assert run_module("cloudmart.lab.static_pod_flags", args)["changed"]
    assert "--secure-port=6444" in manifest.read_text()
    assert oct(manifest.stat().st_mode & 0o777) == "0o600"
    assert not run_module("cloudmart.lab.static_pod_flags", args)["changed"]
    # the healthy manifest is not kept on the node, where a learner is root
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["kube-apiserver.yaml"]


def test_the_module_says_when_the_manifest_is_missing(tmp_path):
    result = run_module("cloudmart.lab.static_pod_flags", {"path": tmp_path / "none.yaml", "flags": {"secure-port": "1"}})
    assert result["failed"] and "control-plane node" in result["msg"]


def test_corefile_denies_a_name_before_the_kubernetes_plugin_and_forgets_it_again():
    name = "payment-service.backend.svc.cluster.local"
    broken = coredns_nxdomain.with_names(COREFILE, [name], present=True)
    assert coredns_nxdomain.denied(broken) == {coredns_nxdomain.name_pattern(name)}
    assert broken.index("rcode NXDOMAIN") < broken.index("kubernetes cluster.local")
    assert coredns_nxdomain.with_names(broken, [name], present=True) == broken
    assert coredns_nxdomain.with_names(broken, [name, "other.svc.cluster.local"], present=False) == COREFILE
    assert coredns_nxdomain.with_names(COREFILE, [name], present=False) == COREFILE


def test_the_name_pattern_matches_the_name_only():
    import re

    pattern = coredns_nxdomain.name_pattern("redis.data.svc.cluster.local")
    assert re.match(pattern, "redis.data.svc.cluster.local.")
    assert not re.match(pattern, "redisXdata.svc.cluster.local.")
    assert not re.match(pattern, "a.redis.data.svc.cluster.local.")


SERVICE = {"spec": {"selector": {"app": "user-service"}, "ports": [{"name": "http", "port": 8080, "targetPort": 8080}]}}


def test_service_routing_replaces_the_selector_and_one_target_port():
    current = service_routing.routing(SERVICE)
    broken = service_routing.desired_routing(current, {"app": "user-service", "version": "v2"}, 8080, 3000)
    assert broken["selector"] == {"app": "user-service", "version": "v2"}
    assert broken["ports"] == [{"name": "http", "port": 8080, "targetPort": 3000}]
    assert service_routing.desired_routing(broken, {"app": "user-service"}, None, "8080") == current
    with pytest.raises(KubeError, match="no port 80"):
        service_routing.desired_routing(current, None, 80, 3000)


class Obj:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def volume(storage_class="standard", capacity="1Gi", modes=("ReadWriteOnce",)):
    return Obj(spec=Obj(storage_class_name=storage_class, capacity={"storage": capacity}, access_modes=list(modes)))


@pytest.mark.parametrize(
    ("wanted", "fits"),
    [
        ({"storage_class": "standard", "size": "1Gi", "access_modes": ["ReadWriteOnce"]}, True),
        ({"storage_class": "standard", "size": "512Mi", "access_modes": ["ReadWriteOnce"]}, True),
        ({"storage_class": "fast-ssd-nonexistent", "size": "10Ti", "access_modes": ["ReadWriteOnce"]}, False),
        ({"storage_class": "standard", "size": "1Gi", "access_modes": ["ReadWriteMany"]}, False),
        ({"storage_class": "standard", "size": "2Gi", "access_modes": ["ReadWriteOnce"]}, False),
    ],
)
def test_a_claim_binds_back_to_the_kept_volume_only_when_the_volume_can_serve_it(wanted, fits):
    assert claims.volume_fits(volume(), wanted) is fits


def deployment():
    return {
        "metadata": {"name": "order-service", "uid": "u1", "annotations": {deployment_rollout.REVISION: "2"}},
        "spec": {
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": {"app": "order-service", "version": "v1"}},
                "spec": {
                    "containers": [
                        {
                            "name": "order-service",
                            "image": "localhost/cloudmart/order-service:abc",
                            "resources": {"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
                            "livenessProbe": {
                                "httpGet": {"path": "/health", "port": "http"},
                                "timeoutSeconds": 5,
                                "periodSeconds": 10,
                            },
                        }
                    ]
                },
            },
        },
    }


def test_the_broken_rollout_changes_every_sub_fault_and_nothing_else():
    params = {
        "strategy": {"maxSurge": "0%", "maxUnavailable": "100%"},
        "image": "order-service:v2.1-broken",
        "resources": {"requests": {"cpu": "2000m", "memory": "4Gi"}},
        "liveness_probe": {"timeoutSeconds": 1, "periodSeconds": 5},
        "template_labels": {"version": "v2.1"},
    }
    after = deployment_rollout.rolled(deployment(), params, None)
    container = after["template"]["spec"]["containers"][0]
    assert after["strategy"]["rollingUpdate"] == {"maxSurge": "0%", "maxUnavailable": "100%"}
    assert container["image"] == "order-service:v2.1-broken"
    assert container["resources"] == {"requests": {"cpu": "2000m", "memory": "4Gi"}}, "as the seed's YAML: no limits"
    assert container["livenessProbe"] == {"httpGet": {"path": "/health", "port": "http"}, "timeoutSeconds": 1, "periodSeconds": 5}
    assert after["template"]["metadata"]["labels"] == {"app": "order-service", "version": "v2.1"}
    # as the API stores it: 2000m is 2, and the same rollout again is no change
    stored = {**after, "template": yaml.safe_load(yaml.safe_dump(after["template"]).replace("2000m", "'2'"))}
    assert deployment_rollout.normalized(stored) == deployment_rollout.normalized(after)


def test_undo_takes_the_revisions_template_without_its_hash_label():
    old = deployment()["spec"]["template"]
    rs = {
        "metadata": {"ownerReferences": [{"uid": "u1"}], "annotations": {deployment_rollout.REVISION: "1"}},
        "spec": {"template": {**old, "metadata": {"labels": {**old["metadata"]["labels"], "pod-template-hash": "x"}}}},
    }
    other = {"metadata": {"ownerReferences": [{"uid": "u2"}], "annotations": {deployment_rollout.REVISION: "1"}}, "spec": {}}
    assert deployment_rollout.revision_template([other, rs], "u1", 1) == old
    with pytest.raises(KubeError, match="no revision 7"):
        deployment_rollout.revision_template([rs], "u1", 7)


@pytest.fixture
def unreachable_kubeconfig(tmp_path):
    """A kubeconfig whose API server address has nothing listening."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    path = tmp_path / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "lab",
                "clusters": [
                    {"name": "lab", "cluster": {"server": f"https://127.0.0.1:{port}", "insecure-skip-tls-verify": True}}
                ],
                "users": [{"name": "admin", "user": {"token": "x"}}],
                "contexts": [{"name": "lab", "context": {"cluster": "lab", "user": "admin"}}],
            }
        )
    )
    return path


@pytest.mark.parametrize(
    ("module", "args"),
    [
        ("service_routing", {"namespace": "backend", "name": "user-service", "target_port": 8080}),
        ("coredns_nxdomain", {"names": ["payment-service.backend.svc.cluster.local"]}),
        ("claim_spec", {"namespace": "data", "name": "postgres-data", "storage_class": "standard", "size": "1Gi"}),
        ("deployment_rollout", {"namespace": "backend", "name": "order-service", "image": "x"}),
    ],
)
def test_an_api_module_says_in_one_line_that_the_api_server_does_not_answer(unreachable_kubeconfig, module, args):
    result = run_module(f"cloudmart.lab.{module}", {"kubeconfig": unreachable_kubeconfig, **args})
    assert result["failed"]
    assert "the Kubernetes API server does not answer" in result["msg"] and "Traceback" not in result["msg"], result["msg"]
    assert "\n" not in result["msg"]


def test_cluster_health_reports_an_unreachable_api_server_as_a_problem(unreachable_kubeconfig):
    result = run_module("cloudmart.lab.cluster_health", {"kubeconfig": unreachable_kubeconfig, "namespaces": ["data"]})
    assert not result["failed"] and result["healthy"] is False and result["api_reachable"] is False
    assert "does not answer" in result["problems"][0]


def test_an_api_module_names_a_kubeconfig_it_cannot_read(tmp_path):
    result = run_module(
        "cloudmart.lab.service_routing", {"kubeconfig": tmp_path / "none", "namespace": "a", "name": "b", "target_port": 1}
    )
    assert result["failed"] and f"cannot read the kubeconfig {tmp_path / 'none'}" in result["msg"], result["msg"]
