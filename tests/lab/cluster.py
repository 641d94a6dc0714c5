"""A handle on the running lab for the cluster tests: the Kubernetes API, pods, nodes over SSH."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import testinfra
from kubernetes import client, config
from kubernetes.client.rest import ApiException
from urllib3.exceptions import HTTPError

from cloudmart_lab import waiting
from cloudmart_lab.bundle.manifest import load as load_manifest
from cloudmart_lab.paths import REPO
from cloudmart_lab.settings import Settings
from cloudmart_lab.state import LabState

SYSTEM_NAMESPACES = ("kube-system", "kube-flannel", "local-path-storage")
# CloudMart's controllers exit while the API server is away and come back after the kubelet's
# crash-loop back-off (up to five minutes): a settled lab waits for them too.
PLATFORM_NAMESPACES = ("frontend", "backend", "data", "monitoring", "ingress-system")
TEST_LABEL = "cloudmart.lab/test"
T = TypeVar("T")


def eventually(check: Callable[[], T], *, timeout: float, interval: float = 2.0, what: str) -> T:
    """cloudmart_lab.waiting.eventually, an API error counting as "not yet"."""
    return waiting.eventually(
        check, timeout=timeout, what=what, interval=interval, tolerate=(ApiException, OSError, AssertionError, HTTPError)
    )


class Cluster:
    def __init__(self, settings: Settings, state: LabState) -> None:
        self.settings, self.state = settings, state
        self.kubeconfig = state.kubeconfig
        self.api = config.new_client_from_config(config_file=state.kubeconfig)
        self.core = client.CoreV1Api(self.api)
        self.apps = client.AppsV1Api(self.api)
        self.discovery = client.DiscoveryV1Api(self.api)
        self.networking = client.NetworkingV1Api(self.api)
        self.storage = client.StorageV1Api(self.api)
        self.custom = client.CustomObjectsApi(self.api)
        self.manifest = load_manifest(Path(state.bundle_dir))
        self.toolbox = self.manifest.images["toolbox"]["ref"]
        self._namespaces: list[str] = []

    # --- the cluster as a whole -------------------------------------------------------------

    def kubectl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        kubectl = Path(self.state.bundle_dir) / "bin" / "kubectl"
        return subprocess.run(
            [str(kubectl), "--kubeconfig", self.kubeconfig, *args], capture_output=True, text=True, check=check, timeout=120
        )

    def ready_nodes(self) -> set[str]:
        return {
            node.metadata.name
            for node in self.core.list_node().items
            if any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])
        }

    def came_up(self, nodes_since: float, pods_since: float) -> dict[str, float] | None:
        """Seconds from `nodes_since` (a time.time()) until the last node was Ready, and from
        `pods_since` until the last system or platform pod was ready; None when the nodes were there
        before (a lab reused)."""
        nodes = self.core.list_node().items
        if any(node.metadata.creation_timestamp.timestamp() < min(nodes_since, pods_since) for node in nodes):
            return None

        def ready_at(conditions: list[Any] | None) -> float:
            return max(c.last_transition_time.timestamp() for c in conditions or [] if c.type == "Ready")

        pods = [pod for ns in (*SYSTEM_NAMESPACES, *PLATFORM_NAMESPACES) for pod in self.core.list_namespaced_pod(ns).items]
        return {
            "every node Ready": max(ready_at(node.status.conditions) for node in nodes) - nodes_since,
            "every pod ready": max(ready_at(pod.status.conditions) for pod in pods) - pods_since,
        }

    def unsettled_pods(self) -> list[str]:
        """System and platform pods that are not Running with every container ready."""
        unsettled = []
        for namespace in (*SYSTEM_NAMESPACES, *PLATFORM_NAMESPACES):
            for pod in self.core.list_namespaced_pod(namespace).items:
                statuses = pod.status.container_statuses or []
                if pod.status.phase != "Running" or not statuses or not all(s.ready for s in statuses):
                    unsettled.append(f"{namespace}/{pod.metadata.name} ({pod.status.phase})")
        return unsettled

    def ready_dns(self) -> bool:
        deployment = self.apps.read_namespaced_deployment("coredns", "kube-system")
        return bool(deployment.status.ready_replicas and deployment.status.ready_replicas == deployment.spec.replicas)

    def restart_backed_off_pods(self) -> list[str]:
        """Delete the platform's pods that sit out a crash-loop back-off (after an outage a test
        made on purpose), so their controllers start them at once instead of in minutes."""
        restarted = []
        for namespace in PLATFORM_NAMESPACES:
            for pod in self.core.list_namespaced_pod(namespace).items:
                statuses = pod.status.container_statuses or []
                if pod.metadata.owner_references and any(
                    s.state.waiting and s.state.waiting.reason == "CrashLoopBackOff" for s in statuses
                ):
                    self.core.delete_namespaced_pod(pod.metadata.name, namespace)
                    restarted.append(f"{namespace}/{pod.metadata.name}")
        return restarted

    def wait_until_settled(self, timeout: float = 420) -> None:
        names = {node.name for node in self.settings.nodes}
        eventually(lambda: self.ready_nodes() >= names, timeout=timeout, what="every node Ready")
        eventually(lambda: not self.unsettled_pods() or None, timeout=timeout, what="every system pod running")

    # --- test workloads ---------------------------------------------------------------------

    def namespace(self, purpose: str) -> str:
        name = f"test-{purpose}-{secrets.token_hex(3)}"
        self.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels={TEST_LABEL: "true"})))
        self._namespaces.append(name)
        return name

    def delete_test_namespaces(self) -> None:
        while self._namespaces:
            name = self._namespaces.pop()
            try:
                self.core.delete_namespace(name)
            except ApiException as err:
                if err.status != 404:
                    raise

    def start_pod(
        self,
        namespace: str,
        name: str,
        command: list[str],
        *,
        node: str | None = None,
        labels: dict[str, str] | None = None,
        port: int | None = None,
        volumes: list[client.V1Volume] | None = None,
        mounts: list[client.V1VolumeMount] | None = None,
        restart: str = "Never",
    ) -> client.V1Pod:
        container = client.V1Container(
            name="main",
            image=self.toolbox,
            command=command,
            ports=[client.V1ContainerPort(container_port=port)] if port else None,
            readiness_probe=client.V1Probe(tcp_socket=client.V1TCPSocketAction(port=port), period_seconds=1) if port else None,
            volume_mounts=mounts,
        )
        pod = client.V1Pod(
            metadata=client.V1ObjectMeta(name=name, labels=labels or {"app": name}),
            spec=client.V1PodSpec(
                containers=[container],
                node_name=node,
                restart_policy=restart,
                volumes=volumes,
                termination_grace_period_seconds=0,
            ),
        )
        return self.core.create_namespaced_pod(namespace, pod)

    def wait_ready(self, namespace: str, name: str, timeout: float = 120) -> client.V1Pod:
        def ready() -> client.V1Pod | None:
            pod = self.core.read_namespaced_pod(name, namespace)
            statuses = pod.status.container_statuses or []
            return pod if statuses and all(s.ready for s in statuses) else None

        return eventually(ready, timeout=timeout, what=f"pod {namespace}/{name} ready")

    def run_to_completion(
        self,
        namespace: str,
        name: str,
        command: list[str],
        *,
        node: str | None = None,
        labels: dict[str, str] | None = None,
        timeout: float = 120,
        **pod_options: Any,
    ) -> tuple[str, str]:
        """Run a one-shot pod; returns its phase (Succeeded or Failed) and its log."""
        self.start_pod(namespace, name, command, node=node, labels=labels, **pod_options)

        def finished() -> str | None:
            phase = self.core.read_namespaced_pod(name, namespace).status.phase
            return phase if phase in ("Succeeded", "Failed") else None

        phase = eventually(finished, timeout=timeout, what=f"pod {namespace}/{name} finished")
        return phase, self.core.read_namespaced_pod_log(name, namespace)

    # --- nodes over SSH -------------------------------------------------------------------------

    def host(self, node: str) -> testinfra.host.Host:
        """The node over real SSH, through the lab's Ansible inventory (testinfra's ansible backend)."""
        return testinfra.get_host(f"ansible://{node}", ansible_inventory=str(REPO / "inventory" / "vagrant.yml"))
