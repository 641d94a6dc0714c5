"""Scenario 1 (control plane): the nodes over SSH and the API server as clients reach it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from lab import Blocked, Lab, fail, fail_on, found

MANIFESTS = "/etc/kubernetes/manifests"
API_SERVER = f"{MANIFESTS}/kube-apiserver.yaml"
ETCD = f"{MANIFESTS}/etcd.yaml"
NODE_SERVICES = ("kubelet", "containerd")


def flags(manifest: dict[str, Any]) -> dict[str, str]:
    """The --name=value flags of a static pod's first container."""
    container = manifest["spec"]["containers"][0]
    found = {}
    for arg in [*container.get("command", []), *container.get("args", [])]:
        if arg.startswith("--") and "=" in arg:
            name, value = arg[2:].split("=", 1)
            found[name] = value
    return found


def read_manifest(lab: Lab, node: str, path: str) -> dict[str, Any]:
    host = lab.host(node)
    with host.sudo():
        if not host.file(path).exists:
            fail("static-pod-missing", f"{node}: {path} is missing, so the kubelet runs no such static pod", node, path=path)
        return yaml.safe_load(host.file(path).content_string)


def client_port(lab: Lab, node: str) -> int:
    """The API server's port as kubeconfigs name it (the control-plane node's admin.conf)."""
    host = lab.host(node)
    with host.sudo():
        kubeconfig = yaml.safe_load(host.file("/etc/kubernetes/admin.conf").content_string)
    return urlparse(kubeconfig["clusters"][0]["cluster"]["server"]).port or 443


def probe_url(container: dict[str, Any], probe: dict[str, Any]) -> str | None:
    http = probe.get("httpGet")
    if not http:
        return None
    port = http["port"]
    if isinstance(port, str) and not port.isdigit():
        port = next((p["containerPort"] for p in container.get("ports", []) if p.get("name") == port), port)
    return f"{http.get('scheme', 'HTTP').lower()}://{http.get('host', '127.0.0.1')}:{port}{http.get('path', '/')}"


def answers(lab: Lab, node: str, url: str) -> tuple[bool, str]:
    done = lab.host(node).run(f"curl -sk --max-time 5 -o /dev/null -w '%{{http_code}}' {url}")
    code = done.stdout.strip()
    if done.rc == 0 and code.startswith(("2", "3")):
        return True, code
    return False, f"HTTP {code}" if done.rc == 0 else {7: "connection refused", 28: "no answer within 5s"}.get(
        done.rc, f"curl exit {done.rc}"
    )


@pytest.mark.check("api-server-answers")
def test_the_api_server_answers(lab: Lab) -> None:
    findings = []
    for node in lab.settings.control_plane:
        url = f"https://127.0.0.1:{client_port(lab, node)}/livez"
        ok, why = answers(lab, node, url)
        if not ok:
            findings.append(found("api-server-silent", f"{node}: the API server does not answer at {url} ({why})", node, why=why))
    if lab.api_state:
        problem, symptom = lab.api_state
        findings.append(found("kubectl-fails", f"kubectl cannot work: {problem}", **symptom.params))
    fail_on(findings)


@pytest.mark.check("nodes-ready")
def test_every_node_is_ready(lab: Lab) -> None:
    nodes = {node.metadata.name: node for node in lab.listed("node")}
    findings = []
    for name in lab.settings.nodes:
        node = nodes.get(name)
        if node is None:
            findings.append(
                found("node-missing", f"node {name} of the inventory is not part of the cluster (kubectl get nodes)", name)
            )
            continue
        condition = next((c for c in node.status.conditions or [] if c.type == "Ready"), None)
        if condition is None or condition.status != "True":
            why = condition.message if condition else "it never reported"
            findings.append(found("node-not-ready", f"node {name} is not Ready: {why}", name))
        if node.spec.unschedulable:
            findings.append(found("node-cordoned", f"node {name} is cordoned (SchedulingDisabled)", name))
    fail_on(findings)


@pytest.mark.check("apiserver-etcd-servers")
def test_the_api_server_finds_etcd_where_etcd_serves_clients(lab: Lab) -> None:
    findings = []
    for node in lab.settings.control_plane:
        served = {urlparse(url).port for url in flags(read_manifest(lab, node, ETCD)).get("listen-client-urls", "").split(",")}
        for url in flags(read_manifest(lab, node, API_SERVER)).get("etcd-servers", "").split(","):
            if urlparse(url).port not in served:
                ports = ", ".join(str(p) for p in sorted(p for p in served if p))
                findings.append(
                    found(
                        "api-server-exits",
                        f"{node}: kube-apiserver's --etcd-servers names {url}, but etcd serves clients on port {ports} "
                        f"({ETCD}, --listen-client-urls)",
                        node,
                    )
                )
    fail_on(findings)


@pytest.mark.check("apiserver-secure-port")
def test_the_api_server_serves_where_probes_and_clients_look(lab: Lab) -> None:
    findings = []
    for node in lab.settings.control_plane:
        manifest = read_manifest(lab, node, API_SERVER)
        port = int(flags(manifest).get("secure-port", "6443"))
        container = manifest["spec"]["containers"][0]
        for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
            url = probe_url(container, container.get(kind) or {})
            if url and urlparse(url).port != port:
                findings.append(
                    found(
                        "api-server-probe-fails",
                        f"{node}: kube-apiserver serves on --secure-port={port}, but its {kind} checks {url}",
                        node,
                    )
                )
        clients = client_port(lab, node)
        if clients != port:
            findings.append(
                found(
                    "kubeconfig-refused",
                    f"{node}: kube-apiserver serves on --secure-port={port}, "
                    f"but kubeconfigs (/etc/kubernetes/admin.conf) use {clients}",
                    node,
                )
            )
        host = lab.host(node)
        with host.sudo():
            listening = host.run(f"ss -Htlnp 'sport = :{port}'").stdout
        if "kube-apiserver" not in listening:
            findings.append(
                found("api-server-not-listening", f"{node}: nothing of kube-apiserver listens on port {port} (ss -tlnp)", node)
            )
    fail_on(findings)


@pytest.mark.check("node-services")
def test_kubelet_and_containerd_run_and_start_at_boot(lab: Lab) -> None:
    findings = []
    for node in lab.settings.nodes:
        try:
            host = lab.host(node)
        except Blocked as err:
            findings.append(err.finding)
            continue
        for name in NODE_SERVICES:
            service = host.service(name)
            if not service.is_running:
                findings.append(
                    found("node-service-stopped", f"{node}: {name} is not running (journalctl -u {name})", node, service=name)
                )
            if not service.is_enabled:
                findings.append(
                    found(
                        "node-service-disabled",
                        f"{node}: {name} does not start at boot (systemctl enable {name})",
                        node,
                        service=name,
                    )
                )
    fail_on(findings)


@pytest.mark.check("static-pods-running")
def test_every_static_pod_runs_and_passes_its_probe(lab: Lab) -> None:
    findings = []
    for node in lab.settings.control_plane:
        host = lab.host(node)
        with host.sudo():
            paths = host.run(f"ls {MANIFESTS}/*.yaml").stdout.split()
            running = host.run("crictl ps --state running -o json")
        if running.rc != 0:
            findings.append(
                found(
                    "crictl-fails",
                    f"{node}: crictl cannot list containers ({running.stderr.strip()}); is containerd running?",
                    node,
                )
            )
            continue
        containers = {c["metadata"]["name"] for c in yaml.safe_load(running.stdout)["containers"]}
        for path in paths:
            manifest = read_manifest(lab, node, path)
            container = manifest["spec"]["containers"][0]
            if container["name"] not in containers:
                pod = manifest["metadata"]["name"]
                findings.append(
                    found(
                        "static-pod-not-running", f"{node}: the static pod {pod} ({path}) has no running container", node, pod=pod
                    )
                )
                continue
            url = probe_url(container, container.get("livenessProbe") or {})
            if url:
                ok, why = answers(lab, node, url)
                if not ok:
                    findings.append(
                        found(
                            "static-pod-unhealthy",
                            f"{node}: {container['name']}'s liveness probe fails: {url} ({why})",
                            node,
                            pod=container["name"],
                        )
                    )
    fail_on(findings)


@pytest.mark.check("api-server-down-alert")
def test_an_alert_would_fire_while_the_api_server_is_down(lab: Lab) -> None:
    lab.require_api()
    ports = {client_port(lab, node) for node in lab.settings.control_plane}
    targets = lab.prometheus("/api/v1/targets")["activeTargets"]
    jobs = {t["labels"]["job"] for t in targets if urlparse(t["scrapeUrl"]).port in ports}
    if not jobs:
        fail(
            "api-server-unwatched",
            f"Prometheus scrapes nothing at the API server's port {', '.join(map(str, ports))}, so no alert can see it down",
        )
    rules = [r for g in lab.prometheus("/api/v1/rules")["groups"] for r in g["rules"] if r["type"] == "alerting"]
    if not any(f'job="{job}"' in rule["query"] for job in jobs for rule in rules):
        fail(
            "api-server-no-alert",
            f"no alerting rule of Prometheus watches the API server's scrape job ({', '.join(sorted(jobs))})",
        )
