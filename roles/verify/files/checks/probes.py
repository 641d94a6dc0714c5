"""Probes of what the cluster serves: a claim the storage class's provisioner must bind, and a pair
of pods a NetworkPolicy must keep apart. They run in a namespace of their own, beside the checks,
from the start of the verification, and are removed at its end; the checks read their outcome."""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from findings import Finding, found
from kubernetes import client, config
from kubernetes.client.rest import ApiException
from kubernetes.stream import stream

# Each verification's probes live in a namespace of their own, named after this prefix: one left by
# an earlier verification may still be going away.
PREFIX = "cloudmart-verify-"
LABEL = {"app.kubernetes.io/part-of": "cloudmart-verify"}
# How long each probe may take: a claim binds and a pod starts in a few seconds on a healthy lab.
PROBE_SECONDS = 30
CONNECT_SECONDS = 2
# Enforcement follows a new NetworkPolicy within a second or two; right after the API server comes
# back, kube-network-policies' watch takes longer to catch up (seen: a verify at once after the
# control plane's repair found the probe's policy not yet enforced, the next one found it enforced).
POLICY_SETTLE_SECONDS = 20


@dataclass
class Outcome:
    """What a probe found once it has ended: its problems (none when all is well)."""

    problems: list[Finding] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def finish(self, problem: Finding | None) -> None:
        self.problems = [problem] if problem else []
        self.done.set()

    def wait(self, timeout: float) -> bool:
        """Whether the probe ended within the timeout."""
        return self.done.wait(timeout)


class Probes:
    """Each probe runs in a thread with its own API client: kubernetes.stream swaps the request
    method of the client it execs through while it runs, so a shared client would answer the
    others' calls with nonsense."""

    def __init__(self, kubeconfig: str, image: str) -> None:
        self.kubeconfig = kubeconfig
        self.image = image
        self.namespace = PREFIX + secrets.token_hex(3)
        self.storage = Outcome()
        self.policy = Outcome()
        # set once the probe pod "open" is ready, for checks that ask things from inside a pod
        self.open_ready = threading.Event()
        self._threads: list[threading.Thread] = []
        self._local = threading.local()

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self._client())

    @property
    def networking(self) -> client.NetworkingV1Api:
        return client.NetworkingV1Api(self._client())

    def _client(self) -> client.ApiClient:
        """This thread's own API client."""
        local = self._local
        if not hasattr(local, "api"):
            local.api = config.new_client_from_config(config_file=self.kubeconfig)
        return local.api

    def start(self) -> None:
        try:
            self._namespace()
        except ApiException as err:
            problem = found("probes-refused", f"the checks cannot make their probes in namespace {self.namespace} ({err.reason})")
            self.storage.finish(problem)
            self.policy.finish(problem)
            return
        for target, outcome in ((self._storage, self.storage), (self._policy, self.policy)):
            thread = threading.Thread(target=self._run, args=(target, outcome), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Remove the probes (not waited for: the namespace goes on its own)."""
        with contextlib.suppress(ApiException):
            self.core.delete_namespace(self.namespace, _request_timeout=10)

    @staticmethod
    def _run(target: Any, outcome: Outcome) -> None:
        try:
            outcome.finish(target())
        except Exception as err:  # a probe says what went wrong in one line, never a traceback
            outcome.finish(
                found("probe-failed", f"the probe failed: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
            )

    # --- the namespace and its pods -------------------------------------------------------------

    def _namespace(self) -> None:
        """This verification's namespace; those earlier ones left (interrupted) are removed."""
        label = ",".join(f"{k}={v}" for k, v in LABEL.items())
        for old in self.core.list_namespace(label_selector=label, _request_timeout=10).items:
            if old.status.phase != "Terminating":
                self.core.delete_namespace(old.metadata.name, _request_timeout=10)
        body = client.V1Namespace(metadata=client.V1ObjectMeta(name=self.namespace, labels=LABEL))
        self.core.create_namespace(body, _request_timeout=10)
        # The API server admits no pod before its namespace's "default" ServiceAccount exists, which
        # the controller manager makes; right after the control plane's repair it is still starting,
        # so every probe pod was refused (403) and the probes failed although pods could run.
        account = client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="default"))
        try:
            self.core.create_namespaced_service_account(self.namespace, account, _request_timeout=10)
        except ApiException as err:
            if err.status != 409:  # made by the controller manager first: as good
                raise

    def _pod(self, name: str, command: list[str], *, volume: str | None = None, port: int | None = None) -> None:
        container = client.V1Container(
            name="probe",
            image=self.image,
            command=command,
            ports=[client.V1ContainerPort(container_port=port)] if port else None,
            readiness_probe=client.V1Probe(tcp_socket=client.V1TCPSocketAction(port=port), period_seconds=1) if port else None,
            volume_mounts=[client.V1VolumeMount(name="data", mount_path="/data")] if volume else None,
        )
        volumes = (
            [client.V1Volume(name="data", persistent_volume_claim=client.V1PersistentVolumeClaimVolumeSource(claim_name=volume))]
            if volume
            else None
        )
        pod = client.V1Pod(
            metadata=client.V1ObjectMeta(name=name, labels={**LABEL, "probe": name}),
            spec=client.V1PodSpec(containers=[container], volumes=volumes, termination_grace_period_seconds=0),
        )
        self.core.create_namespaced_pod(self.namespace, pod, _request_timeout=10)

    def _read_pod(self, name: str) -> client.V1Pod:
        return self.core.read_namespaced_pod(name, self.namespace, _request_timeout=10)

    def _ready(self, name: str) -> client.V1Pod | None:
        pod = self._read_pod(name)
        statuses = pod.status.container_statuses or []
        return pod if statuses and all(s.ready for s in statuses) else None

    def _until(self, check: Any, what: str, seconds: float = PROBE_SECONDS) -> Any:
        deadline = time.monotonic() + seconds
        while True:
            answer = check()
            if answer:
                return answer
            if time.monotonic() > deadline:
                raise TimeoutError(f"not within {seconds:.0f}s: {what}")
            time.sleep(1)

    def _exec(self, pod: str, command: list[str]) -> str:
        return str(
            stream(
                self.core.connect_get_namespaced_pod_exec,
                pod,
                self.namespace,
                command=command,
                stderr=True,
                stdout=True,
                stdin=False,
                tty=False,
                _request_timeout=30,
            )
        )

    def ask(self, command: list[str], timeout: float = PROBE_SECONDS) -> str | None:
        """Run a command in the probe pod "open" once it is ready (None when it never is: not
        within the timeout, or the probe that makes it ended without it)."""
        deadline = time.monotonic() + timeout
        while not self.open_ready.wait(1):
            if self.policy.done.is_set() or time.monotonic() > deadline:
                return None
        return self._exec("open", command)

    # --- the probes -----------------------------------------------------------------------------

    def _storage(self) -> Finding | None:
        """A claim of the default class, mounted by a pod: the provisioner makes its volume."""
        claim = client.V1PersistentVolumeClaim(
            metadata=client.V1ObjectMeta(name="probe", labels=LABEL),
            spec=client.V1PersistentVolumeClaimSpec(
                access_modes=["ReadWriteOnce"], resources=client.V1VolumeResourceRequirements(requests={"storage": "16Mi"})
            ),
        )
        self.core.create_namespaced_persistent_volume_claim(self.namespace, claim, _request_timeout=10)
        self._pod("writer", ["sh", "-c", "echo ok > /data/probe && sleep 600"], volume="probe")

        def bound() -> bool:
            claim_now = self.core.read_namespaced_persistent_volume_claim("probe", self.namespace, _request_timeout=10)
            return bool(claim_now.status.phase == "Bound")

        try:
            self._until(bound, "the claim bound")
        except TimeoutError:
            claim_now = self.core.read_namespaced_persistent_volume_claim("probe", self.namespace, _request_timeout=10)
            return found(
                "new-claim-unbound",
                f"a new claim of the default StorageClass ({claim_now.spec.storage_class_name or 'none is default'}) "
                f"stays {claim_now.status.phase} for {PROBE_SECONDS}s: its provisioner makes no volume",
                seconds=PROBE_SECONDS,
            )
        return None

    def _policy(self) -> Finding | None:
        """Two pods; a NetworkPolicy admits nothing to the second. The first must not reach it, and
        the second must reach the first (the pod network works)."""
        server = ["python3", "-m", "http.server", "8080"]
        self._pod("open", server, port=8080)
        self._pod("guarded", server, port=8080)
        deny = client.V1NetworkPolicy(
            metadata=client.V1ObjectMeta(name="deny-guarded", labels=LABEL),
            spec=client.V1NetworkPolicySpec(
                pod_selector=client.V1LabelSelector(match_labels={"probe": "guarded"}), policy_types=["Ingress"]
            ),
        )
        self.networking.create_namespaced_network_policy(self.namespace, deny, _request_timeout=10)
        opened = self._until(lambda: self._ready("open"), "probe pod open ready")
        self.open_ready.set()
        guarded = self._until(lambda: self._ready("guarded"), "probe pod guarded ready")

        def connect(source: str, target: client.V1Pod) -> bool:
            url = f"http://{target.status.pod_ip}:8080/"
            answer = self._exec(
                source, ["curl", "-s", "-o", "/dev/null", "--max-time", str(CONNECT_SECONDS), "-w", "%{http_code}", url]
            )
            return answer.strip().endswith("200")

        if not self._until(lambda: connect("guarded", opened), "a pod reaches another pod"):
            return found("pods-isolated", "pods cannot reach each other at all")
        settled = time.monotonic() + POLICY_SETTLE_SECONDS
        while connect("open", guarded):
            if time.monotonic() < settled:
                time.sleep(1)
                continue
            return found(
                "policy-ignored",
                f"NetworkPolicies are not enforced: pod {self.namespace}/open reached pod {self.namespace}/guarded, which a "
                f"NetworkPolicy admits nothing to, for {POLICY_SETTLE_SECONDS}s (kube-network-policies enforces them)",
            )
        return None
