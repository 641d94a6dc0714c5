"""The lab under verification: its configuration, the Kubernetes API and the nodes over SSH."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

import testinfra
import urllib3
from findings import Blocked, Failed, Symptom, fail, fail_on, found
from kubernetes import client, config
from kubernetes.client.rest import ApiException
from kubernetes.stream import stream
from probes import Probes

__all__ = ["Blocked", "Failed", "Lab", "Settings", "fail", "fail_on", "found"]

# The API server answers in milliseconds; a lab that takes longer counts as unreachable.
API_TIMEOUT = 5


# kind: (API class, the name in its list_* methods, namespaced)
KINDS = {
    "pod": ("CoreV1Api", "pod", True),
    "service": ("CoreV1Api", "service", True),
    "claim": ("CoreV1Api", "persistent_volume_claim", True),
    "limit_range": ("CoreV1Api", "limit_range", True),
    "resource_quota": ("CoreV1Api", "resource_quota", True),
    "deployment": ("AppsV1Api", "deployment", True),
    "stateful_set": ("AppsV1Api", "stateful_set", True),
    "endpoint_slice": ("DiscoveryV1Api", "endpoint_slice", True),
    "network_policy": ("NetworkingV1Api", "network_policy", True),
    "disruption_budget": ("PolicyV1Api", "pod_disruption_budget", True),
    "node": ("CoreV1Api", "node", False),
    "volume": ("CoreV1Api", "persistent_volume", False),
    "storage_class": ("StorageV1Api", "storage_class", False),
    "namespace": ("CoreV1Api", "namespace", False),
}


@dataclass
class Settings:
    """What verify.yml hands over (the role's variables, the scenario catalog, the break clock)."""

    kubeconfig: str
    inventory: list[str]
    control_plane: list[str]
    workers: list[str]
    namespaces: list[str]
    ingress_url: str
    prometheus: dict[str, Any]
    catalog: list[dict[str, Any]]
    matrix: list[dict[str, Any]]
    broken: dict[str, Any]
    report_dir: str
    observe_seconds: float
    seeded: dict[str, Any]
    test_user: dict[str, str]
    probe_margin: float = 2.0
    # the cluster's own add-ons, judged beside the platform
    system_namespaces: list[str] = field(default_factory=list)
    # the image the checks' probe pods run (the bundle's toolbox: a shell, curl, python3)
    probe_image: str = ""
    # the paths customers and staff open through the ingress, and what each must answer
    ingress_paths: list[dict[str, str]] = field(default_factory=list)
    # the seed's success criteria (성공 기준): each passes when all its checks pass
    criteria: list[dict[str, Any]] = field(default_factory=list)
    # checks whose failure explains others' (cause: [the checks it explains])
    causes: dict[str, list[str]] = field(default_factory=dict)
    # list every finding a failed cause explains, instead of counting them
    unfold: bool = False
    # who reads the reports: the learner (symptoms only) or the instructor (diagnoses, check names)
    audience: str = "learner"
    # the language of what a learner reads (findings.LANGUAGES)
    language: str = "en"
    # a folder for the instructor's reports beside the audience's (a workshop's scoreboard reads them)
    instructor_dir: str = ""
    # the JUnit suite's name
    suite: str = "cloudmart-lab"
    # the learner's attempt (hints bought, scenarios given up or repaired, their statements)
    attempt: dict[str, Any] = field(default_factory=dict)

    @property
    def nodes(self) -> list[str]:
        return [*self.control_plane, *self.workers]


class Lab:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.started = time.monotonic()
        self._hosts: dict[str, testinfra.host.Host | Blocked] = {}
        self._cache: dict[str, Any] = {}
        # set by cluster-dns-answers when no DNS server answers: checks that go by names adapt
        self.dns_down = False

    # --- the Kubernetes API -----------------------------------------------------------------

    @cached_property
    def api(self) -> client.ApiClient:
        return config.new_client_from_config(config_file=self.settings.kubeconfig)

    @cached_property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api)

    @cached_property
    def custom(self) -> client.CustomObjectsApi:
        return client.CustomObjectsApi(self.api)

    def probes(self) -> Probes:
        """The probes of what the cluster serves, started once per verification (conftest starts
        them at the beginning, so that they run beside the checks)."""
        if "probes" not in self._cache:
            self.require_api()
            if not self.settings.probe_image:
                raise Blocked(
                    "the checks have no image for their probe pods: set verify_bundle_dir to the Kubernetes bundle",
                    Symptom("probes-unavailable"),
                )
            probes = Probes(self.settings.kubeconfig, self.settings.probe_image)
            probes.start()
            self._cache["probes"] = probes
        found: Probes = self._cache["probes"]
        return found

    def system_workloads(self) -> list[Any]:
        """The Deployments and DaemonSets of the cluster's add-ons, read once per verification."""
        if "system_workloads" not in self._cache:
            self.require_api()
            apps = client.AppsV1Api(self.api)
            found = []
            for namespace in self.settings.system_namespaces:
                for kind, items in (
                    ("Deployment", apps.list_namespaced_deployment(namespace, _request_timeout=30).items),
                    ("DaemonSet", apps.list_namespaced_daemon_set(namespace, _request_timeout=30).items),
                ):
                    for item in items:
                        item.kind = kind  # items of a list come without their kind
                        found.append(item)
            self._cache["system_workloads"] = found
        workloads: list[Any] = self._cache["system_workloads"]
        return workloads

    def system_pods(self) -> list[client.V1Pod]:
        if "system_pods" not in self._cache:
            self.require_api()
            self._cache["system_pods"] = [
                pod
                for namespace in self.settings.system_namespaces
                for pod in self.core.list_namespaced_pod(namespace, _request_timeout=30).items
            ]
        pods: list[client.V1Pod] = self._cache["system_pods"]
        return pods

    @cached_property
    def api_state(self) -> tuple[str, Symptom] | None:
        """Why the API server cannot be used (for the instructor, and as a learner sees it), or None
        when it answers."""
        where = self.api.configuration.host
        try:
            client.VersionApi(self.api).get_code(_request_timeout=API_TIMEOUT)
        except (urllib3.exceptions.HTTPError, OSError) as err:
            # urllib3 wraps the socket's error: "... [Errno 111] Connection refused" -> "Connection refused"
            reason = str(getattr(err, "reason", err)).rsplit("] ", 1)[-1].rstrip(")")
            return (
                f"the Kubernetes API server at {where} does not answer ({reason})",
                Symptom("api-server-down", {"object": where, "reason": reason}),
            )
        except ApiException as err:
            return (
                f"the Kubernetes API server at {where} refuses the lab's credentials ({err.reason})",
                Symptom("api-server-refuses", {"object": where, "reason": err.reason}),
            )
        return None

    @property
    def api_problem(self) -> str | None:
        """Why the API server cannot be used, or None when it answers."""
        return self.api_state[0] if self.api_state else None

    def require_api(self) -> None:
        if self.api_state:
            problem, symptom = self.api_state
            raise Blocked(f"{problem}; cluster-level checks wait until it answers", symptom)

    def listed(self, kind: str) -> list[Any]:
        """Objects of a kind (a key of KINDS) in every platform namespace, or cluster-wide for
        cluster-scoped kinds, read once per verification."""
        if kind not in self._cache:
            self.require_api()
            group, method, namespaced = KINDS[kind]
            api = getattr(client, group)(self.api)
            if namespaced:
                read = getattr(api, f"list_namespaced_{method}")
                items = [item for ns in self.settings.namespaces for item in read(ns, _request_timeout=30).items]
            else:
                items = getattr(api, f"list_{method}")(_request_timeout=30).items
            self._cache[kind] = items
        return self._cache[kind]

    def fresh(self, kind: str) -> list[Any]:
        """The objects of a kind as they are now (listed() keeps the first read)."""
        self._cache.pop(kind, None)
        return self.listed(kind)

    def pods_of(self, namespace: str, selector: dict[str, str]) -> list[client.V1Pod]:
        return [
            pod
            for pod in self.listed("pod")
            if pod.metadata.namespace == namespace and selector and matches(selector, pod.metadata.labels)
        ]

    def newest_event(self, obj: Any, *, warnings_only: bool = False) -> Any | None:
        """The newest event about an object (why a claim waits, why a pod cannot start)."""
        selector = f"involvedObject.name={obj.metadata.name}" + (",type=Warning" if warnings_only else "")
        events = self.core.list_namespaced_event(obj.metadata.namespace, field_selector=selector, _request_timeout=10).items
        events.sort(key=lambda e: e.last_timestamp or e.event_time or e.metadata.creation_timestamp)
        return events[-1] if events else None

    def workloads(self) -> list[Any]:
        """The Deployments and StatefulSets of the platform namespaces."""
        for kind, key in (("Deployment", "deployment"), ("StatefulSet", "stateful_set")):
            for workload in self.listed(key):
                workload.kind = kind  # items of a list come without their kind
        return [*self.listed("deployment"), *self.listed("stateful_set")]

    def prometheus(self, path: str, **query: str) -> Any:
        """An answer of Prometheus's HTTP API (its "data"), through the API server's service proxy."""
        where = self.settings.prometheus
        answer = self.proxy_get(where["namespace"], where["service"], where["port"], where["prefix"] + path, query)
        if answer.get("status") != "success":
            raise Blocked(f"Prometheus did not answer {path}: {answer.get('error', answer)}", Symptom("prometheus-unanswered"))
        return answer["data"]

    def scrape_targets(self) -> list[dict[str, Any]]:
        """Prometheus's active targets, once none still waits for its first scrape: right after a
        rollout, the new pods' targets are "unknown" for up to one scrape interval, and their
        service would look unscraped (on the dashboard too) though nothing is wrong. Waits at most
        the longest such interval and a margin, once per verification."""
        if "scrape_targets" not in self._cache:
            deadline: float | None = None
            while True:
                targets: list[dict[str, Any]] = self.prometheus("/api/v1/targets")["activeTargets"]
                waiting = [target for target in targets if target.get("health") == "unknown"]
                if not waiting:
                    break
                if deadline is None:
                    longest = max(_seconds(target.get("scrapeInterval", "")) for target in waiting)
                    deadline = time.monotonic() + longest + self.settings.probe_margin
                if time.monotonic() >= deadline:
                    break
                time.sleep(1)
            self._cache["scrape_targets"] = targets
        found: list[dict[str, Any]] = self._cache["scrape_targets"]
        return found

    def exec(
        self, pods: list[client.V1Pod], command: list[str], timeout: int = 20, *, required: bool = True
    ) -> tuple[client.V1Pod | None, str]:
        """Run a command in the first container of the first of the pods that lets it (those on
        Ready nodes first, three tries at most); returns that pod and the output (stdout and stderr)."""
        ready_nodes = {
            n.metadata.name
            for n in self.listed("node")
            if any(c.type == "Ready" and c.status == "True" for c in n.status.conditions or [])
        }
        problems = []
        for pod in sorted(pods, key=lambda p: p.spec.node_name not in ready_nodes)[:3]:
            try:
                output = stream(
                    self.core.connect_get_namespaced_pod_exec,
                    pod.metadata.name,
                    pod.metadata.namespace,
                    container=pod.spec.containers[0].name,
                    command=command,
                    stderr=True,
                    stdout=True,
                    stdin=False,
                    tty=False,
                    _request_timeout=timeout,
                )
            except (ApiException, urllib3.exceptions.HTTPError, OSError) as err:
                problems.append(f"{pod.metadata.namespace}/{pod.metadata.name} on {pod.spec.node_name} ({brief(err)})")
                continue
            return pod, output
        if required:
            names = ", ".join(sorted({p.metadata.namespace + "/" + p.metadata.name for p in pods[:3]})) or "-"
            fail_on(
                [found("pods-refuse-commands", f"no command can be run in {'; '.join(problems) or 'any pod: none runs'}", names)]
            )
        return None, ""

    def proxy_get(self, namespace: str, service: str, port: int, path: str, query: dict[str, str] | None = None) -> Any:
        """GET a path of a Service through the API server's proxy (independent of the ingress)."""
        configuration = self.api.configuration
        url = f"{configuration.host}/api/v1/namespaces/{namespace}/services/{service}:{port}/proxy/{path.lstrip('/')}"
        if query:
            url += "?" + urlencode(query)
        # a token-based kubeconfig authenticates by header; a certificate-based one in the TLS session
        headers = {
            setting["key"]: setting["value"]
            for setting in configuration.auth_settings().values()
            if setting["in"] == "header" and setting["value"]
        }
        answer = self.api.call_api("GET", url, header_params=headers, _request_timeout=10)
        if answer.status != 200:
            raise Blocked(
                f"{namespace}/{service} answers HTTP {answer.status} to GET {path} through the API server's proxy",
                Symptom("service-proxy-refused", {"object": f"{namespace}/{service}", "status": answer.status}),
            )
        return json.loads(answer.read())

    # --- the nodes over SSH -------------------------------------------------------------------

    def host(self, name: str) -> testinfra.host.Host:
        """The node over SSH, through the Ansible inventory (testinfra's ansible backend). A node
        that does not answer is asked once per verification."""
        if name not in self._hosts:
            inventory = ",".join(self.settings.inventory)
            try:
                host = testinfra.get_host(f"ansible://{name}", ansible_inventory=inventory)
                answer = host.run("true")
                problem = None if answer.rc == 0 else brief(answer.stderr or f"exit {answer.rc}")
            except Exception as err:  # every backend raises its own kind of error
                problem = brief(err)
            self._hosts[name] = (
                Blocked(
                    f"node {name} does not answer over SSH ({problem}); check that it runs",
                    Symptom("node-unreachable", {"object": name}),
                )
                if problem
                else host
            )
        known = self._hosts[name]
        if isinstance(known, Blocked):
            raise known
        return known


def brief(error: object) -> str:
    """An error's gist: testinfra's carry the whole command result, stderr last."""
    text = getattr(error, "stderr", None) or str(error)
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    # testinfra's "Unexpected exit code ... CommandResult(..., _stderr=b'ssh: connect to host ...')"
    if found := re.search(r"_stderr=b'(.*?)(?:\\r|\\n|')", str(text)):
        text = found.group(1)
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return (lines[-1] if lines else type(error).__name__)[:200]


def matches(selector: dict[str, str], labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    return all(labels.get(key) == value for key, value in selector.items())


def name_of(obj: Any) -> str:
    return f"{obj.metadata.namespace}/{obj.metadata.name}"


def ready(pod: client.V1Pod) -> bool:
    statuses = pod.status.container_statuses or []
    return pod.status.phase == "Running" and bool(statuses) and all(s.ready for s in statuses)


def _seconds(duration: str) -> float:
    """A Prometheus duration such as 15s, 1m or 1m30s, in seconds (15 when it cannot be read)."""
    parts = re.findall(r"(\d+)(ms|s|m|h)", duration)
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return sum(int(value) * scale[unit] for value, unit in parts) if parts else 15.0
