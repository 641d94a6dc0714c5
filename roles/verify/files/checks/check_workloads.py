"""Scenario 4 (deployment): the workloads' rollouts, images, requests and probes. Runs last: its
restart check watches the pods over the whole verification."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from findings import Finding
from kubernetes.utils import parse_quantity
from lab import Lab, fail_on, found, name_of, ready

# Seconds after which an endpoint counts as not answering: above any sane probe timeout.
PROBE_LIMIT = 10
# Seconds to wait for a container that its probe keeps restarting to run and answer again.
MEASURE_PATIENCE = 90
WAITING_PROBLEMS = {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CrashLoopBackOff", "CreateContainerConfigError"}


def owned_pods(lab: Lab, workload: Any) -> list[Any]:
    return lab.pods_of(workload.metadata.namespace, workload.spec.selector.match_labels or {})


def waits_for_a_claim(pods: list[Any]) -> bool:
    """Pods held back by their volume claims: the storage checks' finding, not the workloads'."""

    def unscheduled_for_a_claim(pod: Any) -> bool:
        return any(
            c.type == "PodScheduled" and c.status != "True" and "persistentvolumeclaim" in (c.message or "").lower()
            for c in pod.status.conditions or []
        )

    return bool(pods) and all(unscheduled_for_a_claim(p) for p in pods)


def last_warning(lab: Lab, pod: Any) -> str | None:
    """The newest warning about a pod (a volume that cannot mount, a sandbox that fails)."""
    event = lab.newest_event(pod, warnings_only=True)
    return f"{event.reason}: {event.message}" if event else None


def pod_trouble(pod: Any) -> str | None:
    """Why a pod does not run, in the words kubectl describe uses."""
    for condition in pod.status.conditions or []:
        if condition.type == "PodScheduled" and condition.status != "True":
            return f"not scheduled: {condition.message}"
    for status in pod.status.container_statuses or []:
        waiting = status.state.waiting
        if waiting and waiting.reason in WAITING_PROBLEMS:
            return f"{waiting.reason}: {(waiting.message or '').splitlines()[0] if waiting.message else ''}".rstrip(": ")
        terminated = status.last_state.terminated if status.last_state else None
        if not status.ready and terminated:
            return f"container {status.name} last ended {terminated.reason} (exit {terminated.exit_code})"
    return None


def running(pod: Any) -> bool:
    statuses = pod.status.container_statuses or []
    return (
        pod.status.phase == "Running"
        and pod.metadata.deletion_timestamp is None
        and bool(statuses)
        and all(s.state.running for s in statuses)
    )


@pytest.mark.check("workloads-available")
def test_every_workload_runs_all_its_replicas(lab: Lab) -> None:
    """Scheduled, pulled and started at the current revision. A pod that runs but is not ready
    waits for something it depends on: the check of that (a database, a Service) says so."""
    findings = []
    for workload in lab.workloads():
        want = workload.spec.replicas if workload.spec.replicas is not None else 1
        pods = owned_pods(lab, workload)
        have = sum(running(p) for p in pods)
        updated = workload.status.updated_replicas or 0
        if (have >= want and updated >= want) or waits_for_a_claim(pods):
            continue
        troubles = sorted({t for p in pods if (t := pod_trouble(p))}) or [t for p in pods[:1] if (t := last_warning(lab, p))]
        why = f"; pods: {'; '.join(troubles)}" if troubles else ""
        stuck = f", {updated} of {want} at the current revision" if updated < want else ""
        findings.append(
            found(
                "workload-short",
                f"{workload.kind or 'workload'} {name_of(workload)} runs {have} of {want} replicas{stuck}{why}",
                name_of(workload),
                kind=workload.kind or "workload",
                have=have,
                want=want,
            )
        )
    fail_on(findings)


@pytest.mark.check("rollout-keeps-capacity")
def test_every_rollout_keeps_some_replicas_serving(lab: Lab) -> None:
    findings = []
    for deployment in lab.listed("deployment"):
        replicas = deployment.spec.replicas or 0
        strategy = deployment.spec.strategy
        if replicas < 2:
            continue  # one replica is down during any rollout
        if strategy.type == "Recreate":
            findings.append(
                found(
                    "rollout-empties",
                    f"Deployment {name_of(deployment)} (replicas {replicas}) rolls out by Recreate: every pod goes at once",
                    name_of(deployment),
                )
            )
            continue
        value = str(strategy.rolling_update.max_unavailable if strategy.rolling_update else "25%")
        unavailable = int(value[:-1]) * replicas // 100 if value.endswith("%") else int(value)
        if unavailable >= replicas:
            findings.append(
                found(
                    "rollout-empties",
                    f"Deployment {name_of(deployment)} allows maxUnavailable {value} of {replicas} replicas: "
                    "a rollout removes every pod at once",
                    name_of(deployment),
                )
            )
    fail_on(findings)


def normalized(image: str) -> str:
    """An image reference as containerd names it (docker.io/library/x:latest)."""
    name, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "latest")
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    return f"{name}:{tag}"


@pytest.mark.check("images-available")
def test_every_image_is_on_the_nodes(lab: Lab) -> None:
    present: set[str] = set()
    for node in lab.settings.nodes:
        host = lab.host(node)
        with host.sudo():
            listing = host.run("crictl images -o json")
        if listing.rc == 0:
            present |= {tag for image in json.loads(listing.stdout)["images"] for tag in image.get("repoTags") or []}
    findings = []
    for workload in lab.workloads():
        for container in workload.spec.template.spec.containers:
            if "@" in container.image or normalized(container.image) in present:
                continue
            pulls = sorted({t for p in owned_pods(lab, workload) if (t := pod_trouble(p)) and "Image" in t})
            seen = f" (pods: {pulls[0]})" if pulls else ""
            findings.append(
                found(
                    "image-unpulled",
                    f"{workload.kind or 'workload'} {name_of(workload)} runs image {container.image}, which no node has{seen}; "
                    "the lab's nodes cannot pull images",
                    name_of(workload),
                    container=container.name,
                )
            )
    fail_on(findings)


def pod_requests(spec: Any) -> dict[str, float]:
    total = {"cpu": 0.0, "memory": 0.0}
    for container in spec.containers:
        requests = (container.resources.requests if container.resources else None) or {}
        for resource in total:
            total[resource] += float(parse_quantity(requests.get(resource, "0")))
    return total


def human(resource: str, value: float) -> str:
    return f"{value:g} CPU" if resource == "cpu" else f"{value / 2**20:.0f}Mi"


@pytest.mark.check("requests-fit-nodes")
def test_every_pod_fits_on_a_node(lab: Lab) -> None:
    nodes = [n for n in lab.listed("node") if not n.spec.unschedulable]
    findings = []
    for workload in lab.workloads():
        wants = pod_requests(workload.spec.template.spec)
        for resource, amount in wants.items():
            largest = max((float(parse_quantity(n.status.allocatable[resource])) for n in nodes), default=0.0)
            if amount > largest:
                findings.append(
                    found(
                        "pods-unschedulable",
                        f"{workload.kind or 'workload'} {name_of(workload)} requests {human(resource, amount)} {resource} "
                        f"per pod; the largest node can give {human(resource, largest)}",
                        name_of(workload),
                    )
                )
    fail_on(findings)


def measure(lab: Lab, pod: Any, port: Any, path: str) -> float | str:
    """Seconds one GET of a pod's endpoint takes from the pod's own node, as the kubelet's probe
    asks it, or why it could not be asked. An answer with an error status still took its time."""
    if pod.spec.node_name not in lab.settings.nodes:
        return f"its node {pod.spec.node_name} is not in the inventory"
    url = f"http://{pod.status.pod_ip}:{port}/{path.lstrip('/')}"
    done = lab.host(pod.spec.node_name).run(f"curl -s -o /dev/null -w '%{{time_total}}' --max-time {PROBE_LIMIT} {url}")
    if done.rc == 28:
        return float(PROBE_LIMIT)
    if done.rc != 0:
        return f"curl {url} from {pod.spec.node_name} failed (exit {done.rc})"
    return float(done.stdout.strip())


def answering_pods(lab: Lab, workload: Any, container: str) -> tuple[list[Any], bool]:
    """The workload's pods whose container runs now, ready ones and the longest-running first (the
    likeliest to answer), and whether the container restarts, so that one may run and answer soon.
    Read afresh on every call."""
    selector = ",".join(f"{k}={v}" for k, v in (workload.spec.selector.match_labels or {}).items())
    pods = lab.core.list_namespaced_pod(workload.metadata.namespace, label_selector=selector, _request_timeout=10).items
    statuses = {
        p.metadata.name: next((s for s in p.status.container_statuses or [] if s.name == container), None)
        for p in pods
        if p.metadata.deletion_timestamp is None
    }

    def started(pod: Any) -> Any:
        status = statuses.get(pod.metadata.name)
        return status.state.running.started_at if status and status.state.running else None

    live = sorted((p for p in pods if started(p) is not None), key=lambda p: (not ready(p), started(p)))
    restarting = any(s and s.restart_count for s in statuses.values())
    return live, restarting


@pytest.mark.check("probe-timeouts")
def test_probe_timeouts_are_well_above_what_the_endpoints_take(lab: Lab) -> None:
    margin = lab.settings.probe_margin
    jobs = []
    for workload in lab.workloads():
        if waits_for_a_claim(owned_pods(lab, workload)):
            continue
        for container in workload.spec.template.spec.containers:
            for kind in ("liveness_probe", "readiness_probe", "startup_probe"):
                probe = getattr(container, kind)
                if probe is None or probe.http_get is None:
                    continue
                jobs.append((workload, container, kind, probe))

    def fastest(pod: Any, port: Any, path: str, timeout: int) -> float | str:
        """One slow answer on a busy node is no verdict: a too-short timeout fails every time, so
        the endpoint's latency is the fastest of up to three answers."""
        took = measure(lab, pod, port, path)
        for _ in range(2):
            if isinstance(took, str) or timeout >= margin * took:
                break
            again = measure(lab, pod, port, path)
            took = min(took, again) if isinstance(again, float) else took
        return took

    def judge(job: tuple[Any, ...]) -> Finding | None:
        workload, container, kind, probe = job
        what = f"{workload.kind or 'workload'} {name_of(workload)}'s {kind.replace('_', ' ')} on {probe.http_get.path}"
        failing = {
            "liveness_probe": "probe-fails-liveness",
            "readiness_probe": "probe-fails-readiness",
            "startup_probe": "probe-fails-startup",
        }[kind]
        port = probe.http_get.port
        if isinstance(port, str) and not port.isdigit():
            port = next((p.container_port for p in container.ports or [] if p.name == port), port)
        timeout = probe.timeout_seconds or 1
        # A container that a failing probe keeps restarting runs only now and then: wait a while
        # for one that runs and answers rather than judge the probe by a container in back-off.
        deadline = time.monotonic() + MEASURE_PATIENCE
        while True:
            live, restarting = answering_pods(lab, workload, container.name)
            why = ": no pod of it runs"
            for pod in live:
                took = fastest(pod, port, probe.http_get.path or "/", timeout)
                if isinstance(took, str):
                    why = f" on {pod.metadata.name}: {took}"
                elif timeout < margin * took:
                    return found(
                        failing,
                        f"{what} allows {timeout}s, but the endpoint takes {took:.1f}s (give it at least {margin * took:.0f}s)",
                        name_of(workload),
                        container=container.name,
                    )
                else:
                    return None
            if not restarting or time.monotonic() >= deadline:
                return found("probe-unmeasured", f"{what} cannot be measured{why}", name_of(workload), container=container.name)
            time.sleep(3)

    with ThreadPoolExecutor(max_workers=8) as pool:
        findings = [f for f in pool.map(judge, jobs) if f]
    fail_on(findings)


@pytest.mark.check("container-limits")
def test_every_namespace_refuses_containers_larger_than_a_node(lab: Lab) -> None:
    nodes = lab.listed("node")
    largest = {r: max(float(parse_quantity(n.status.allocatable[r])) for n in nodes) for r in ("cpu", "memory")}
    findings = []
    for namespace in sorted({w.metadata.namespace for w in lab.listed("deployment")}):
        caps = [
            item.max
            for r in lab.listed("limit_range")
            if r.metadata.namespace == namespace
            for item in r.spec.limits
            if item.type in ("Container", "Pod") and item.max
        ]
        fits = any(all(r in cap and float(parse_quantity(cap[r])) <= largest[r] for r in largest) for cap in caps)
        if not fits:
            findings.append(
                found(
                    "containers-uncapped",
                    f"namespace {namespace} admits containers larger than any node: no LimitRange caps cpu and memory "
                    f"at or below {human('cpu', largest['cpu'])} and {human('memory', largest['memory'])}",
                    namespace,
                )
            )
    fail_on(findings)


@pytest.mark.check("no-restarts")
def test_no_container_restarts_while_watched(lab: Lab) -> None:
    before = {(name_of(p), s.name): s.restart_count for p in lab.listed("pod") for s in p.status.container_statuses or []}
    remaining = lab.settings.observe_seconds - (time.monotonic() - lab.started)
    if remaining > 0:
        time.sleep(remaining)
    findings = []
    for pod in lab.fresh("pod"):
        for status in pod.status.container_statuses or []:
            earlier = before.get((name_of(pod), status.name))
            waiting = status.state.waiting.reason if status.state.waiting else None
            if earlier is not None and status.restart_count > earlier:
                ended = status.last_state.terminated if status.last_state else None
                why = f" (last ended {ended.reason}, exit {ended.exit_code})" if ended else ""
                findings.append(
                    found(
                        "container-restarted",
                        f"container {status.name} of {name_of(pod)} restarted while watched{why}",
                        name_of(pod),
                        container=status.name,
                    )
                )
            elif waiting == "CrashLoopBackOff":
                findings.append(
                    found(
                        "container-crash-loops",
                        f"container {status.name} of {name_of(pod)} is in CrashLoopBackOff ({status.restart_count} restarts)",
                        name_of(pod),
                        container=status.name,
                        restarts=status.restart_count,
                    )
                )
    # a workload with nothing running has nothing to restart: it does not pass by default
    for workload in lab.workloads():
        pods = owned_pods(lab, workload)
        if (workload.spec.replicas or 0) > 0 and not any(running(p) for p in pods) and not waits_for_a_claim(pods):
            findings.append(
                found(
                    "workload-nothing-runs",
                    f"{workload.kind} {name_of(workload)} has no running pod to watch",
                    name_of(workload),
                    kind=workload.kind,
                )
            )
    fail_on(findings)
