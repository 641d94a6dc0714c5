"""Scenario 2 (networking): Services, their endpoints, the cluster's DNS and NetworkPolicies."""

from __future__ import annotations

import re
from typing import Any

import pytest
from findings import Finding, Symptom
from kubernetes.client.rest import ApiException
from lab import Lab, fail, fail_on, found, matches, name_of, ready

# A dependency named in a workload's environment: <service>.<namespace>.svc.cluster.local[:port]
DEPENDENCY = re.compile(r"([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9-]+)\.svc\.cluster\.local(?::(\d+))?")
CONNECT_SECONDS = 3


def selected(lab: Lab, service: Any) -> list[Any]:
    return lab.pods_of(service.metadata.namespace, service.spec.selector or {})


def template_labels(workload: Any) -> dict[str, str]:
    return workload.spec.template.metadata.labels or {}


def why_nothing_matches(lab: Lab, namespace: str, selector: dict[str, str]) -> str:
    """The labels of a selector that no pod carries, e.g. "no pod has tier=gold"."""
    pods = [p for p in lab.listed("pod") if p.metadata.namespace == namespace]
    missing = [f"{k}={v}" for k, v in selector.items() if not any((p.metadata.labels or {}).get(k) == v for p in pods)]
    if missing:
        return f"no pod in {namespace} has {' or '.join(missing)}"
    return f"no pod in {namespace} has all of {', '.join(f'{k}={v}' for k, v in selector.items())} at once"


def dependencies(lab: Lab) -> list[tuple[Any, Any, int]]:
    """(calling workload, called Service, port) for every Service a workload's environment names."""
    services = {(s.metadata.namespace, s.metadata.name): s for s in lab.listed("service")}
    found = []
    for workload in lab.workloads():
        for container in workload.spec.template.spec.containers:
            for env in container.env or []:
                for match in DEPENDENCY.finditer(env.value or ""):
                    service = services.get((match.group(3), match.group(1)))
                    if service is None:
                        continue
                    port = int(match.group(4)) if match.group(4) else service.spec.ports[0].port
                    if (workload, service, port) not in found:
                        found.append((workload, service, port))
    return found


def running_pods_of(lab: Lab, workload: Any) -> list[Any]:
    """The workload's running pods, ready ones first."""
    pods = [
        p
        for p in lab.pods_of(workload.metadata.namespace, workload.spec.selector.match_labels or {})
        if p.status.phase == "Running"
    ]
    return sorted(pods, key=lambda p: not ready(p))


@pytest.mark.check("services-have-endpoints")
def test_every_service_selects_pods(lab: Lab) -> None:
    """A Service whose pods exist but are not ready is the workloads' finding, not this one's."""
    findings = []
    for service in lab.listed("service"):
        if not service.spec.selector or selected(lab, service):
            continue
        selector = ",".join(f"{k}={v}" for k, v in service.spec.selector.items())
        why = why_nothing_matches(lab, service.metadata.namespace, service.spec.selector)
        findings.append(
            found(
                "service-no-endpoints",
                f"Service {name_of(service)} has no endpoints: it selects {selector} and {why}",
                name_of(service),
            )
        )
    fail_on(findings)


@pytest.mark.check("service-names-resolve")
def test_service_names_resolve_from_a_pod_to_their_cluster_ip(lab: Lab) -> None:
    services = lab.listed("service")
    # Headless Services resolve to their ready pods only: whether those run is not DNS's concern.
    names = {f"{s.metadata.name}.{s.metadata.namespace}.svc.cluster.local": s for s in services if s.spec.cluster_ip != "None"}
    pods = [
        p for w in lab.workloads() if w.metadata.namespace in ("backend", "frontend") for p in running_pods_of(lab, w) if ready(p)
    ]
    # every name at once: with no DNS server answering, each lookup waits out its own timeout
    script = " ".join(
        f"(echo {name} $(timeout {CONNECT_SECONDS} getent hosts {name} | cut -d' ' -f1 | head -n1)) &" for name in names
    )
    script += " wait"
    pod, output = lab.exec(pods, ["sh", "-c", script])
    answers = dict(([*line.split(), ""])[:2] for line in output.splitlines() if line.strip())
    findings = []
    for name, service in names.items():
        address = answers.get(name, "")
        if not address:
            findings.append(
                found(
                    "name-unresolved", f"{name} does not resolve from pod {name_of(pod)} (nslookup: NXDOMAIN or no answer)", name
                )
            )
        elif address != service.spec.cluster_ip:
            findings.append(
                found(
                    "name-resolves-elsewhere",
                    f"{name} resolves to {address}, not to the Service's cluster IP {service.spec.cluster_ip}",
                    name,
                    address=address,
                )
            )
    fail_on(findings)


def address(lab: Lab, service: Any) -> str:
    """How a caller reaches the Service: by its DNS name, or by its cluster IP while cluster DNS is
    down (which cluster-dns-answers, in check_cluster.py, found out before)."""
    if lab.dns_down and service.spec.cluster_ip not in (None, "", "None"):
        return str(service.spec.cluster_ip)
    return f"{service.metadata.name}.{service.metadata.namespace}.svc.cluster.local"


@pytest.mark.check("services-reach-dependencies")
def test_each_service_reaches_what_it_calls(lab: Lab) -> None:
    findings = []
    callers: dict[str, Any] = {}
    by_caller: dict[str, list[tuple[Any, int]]] = {}
    for workload, service, port in dependencies(lab):
        pods = selected(lab, service)
        if pods and not any(ready(p) for p in pods):
            continue  # what it calls does not run: the workloads' checks say why
        callers[name_of(workload)] = workload
        by_caller.setdefault(name_of(workload), []).append((service, port))
    for key, called in by_caller.items():
        workload = callers[key]
        # only ready callers: one that crash-loops cannot run a command, and that is the
        # workloads' checks' finding, not a network's
        pods = [p for p in running_pods_of(lab, workload) if ready(p)]
        if not pods:
            continue
        # with no DNS server answering, every name would fail the same way: the connection is then
        # tried to the Service's cluster IP, and resolving is service-names-resolve's finding
        tries = [
            f"(host={address(lab, s)}; "
            f'out=$(timeout {CONNECT_SECONDS} bash -c "exec 3<>/dev/tcp/$host/{p}" 2>&1); '
            # bash's last complaint after its last ": " (e.g. Connection refused), on one line
            f'echo "{name_of(s)}:{p} $? ${{out##*: }}") &'
            for s, p in called
        ]
        # every connection at once, each within its own timeout
        pod, output = lab.exec(pods, ["bash", "-c", " ".join(tries) + " wait"], timeout=CONNECT_SECONDS + 20, required=False)
        if pod is None:
            continue  # its pods went away while asked (restarting): the workloads' checks say why
        for line in output.splitlines():
            target, code, *message = line.split(" ", 2)
            if code == "0":
                continue
            detail = message[0].strip() if message else ""
            caller = name_of(workload)
            if code == "124":
                why = f"no answer within {CONNECT_SECONDS}s (a NetworkPolicy or a missing route drops it)"
                symptom = Symptom("call-times-out", {"object": caller, "target": target, "seconds": CONNECT_SECONDS})
            else:
                why = detail or f"exit {code}"
                symptom = Symptom("call-refused", {"object": caller, "target": target, "error": why})
            findings.append(
                Finding(symptom, f"{workload.metadata.name} ({name_of(pod)}) cannot connect to {target}: {why}", caller)
            )
    fail_on(findings)


@pytest.mark.check("service-target-ports")
def test_every_service_port_leads_to_a_declared_container_port(lab: Lab) -> None:
    workloads = {(w.metadata.namespace, w.metadata.name): w for w in lab.workloads()}
    findings = []
    for service in lab.listed("service"):
        if not service.spec.selector:
            continue
        pods = selected(lab, service)
        workload = workloads.get((service.metadata.namespace, service.metadata.name))
        specs = [p.spec for p in pods] or ([workload.spec.template.spec] if workload else [])
        if not specs:
            continue  # selects nothing and fronts no workload of its name: services-have-endpoints says so
        declared = {(port.container_port, port.name) for spec in specs for c in spec.containers for port in c.ports or []}
        numbers, names = {n for n, _ in declared}, {name for _, name in declared if name}
        for port in service.spec.ports:
            target = port.target_port if port.target_port is not None else port.port
            target = int(target) if str(target).isdigit() else str(target)
            if (isinstance(target, int) and target not in numbers) or (isinstance(target, str) and target not in names):
                listed = ", ".join(str(n) for n in sorted(numbers)) or "none"
                findings.append(
                    found(
                        "service-port-unanswered",
                        f"Service {name_of(service)} sends port {port.port} to targetPort {target}, "
                        f"which its pods do not declare (their container ports: {listed})",
                        name_of(service),
                        port=port.port,
                    )
                )
    fail_on(findings)


@pytest.mark.check("service-selectors")
def test_every_service_selects_the_pods_of_its_workload(lab: Lab) -> None:
    workloads = lab.workloads()
    findings = []
    for service in lab.listed("service"):
        if not service.spec.selector:
            continue
        fronted = [
            w
            for w in workloads
            if w.metadata.namespace == service.metadata.namespace and matches(service.spec.selector, template_labels(w))
        ]
        if fronted:
            continue
        selector = ",".join(f"{k}={v}" for k, v in service.spec.selector.items())
        own = next(
            (
                w
                for w in workloads
                if (w.metadata.namespace, w.metadata.name) == (service.metadata.namespace, service.metadata.name)
            ),
            None,
        )
        hint = ""
        if own is not None:
            hint = f"; {own.kind or 'workload'} {own.metadata.name}'s pods carry " + ",".join(
                f"{k}={v}" for k, v in template_labels(own).items()
            )
        findings.append(
            found(
                "service-fronts-nothing",
                f"Service {name_of(service)} selects {selector}, which the pods of no workload carry{hint}",
                name_of(service),
            )
        )
    fail_on(findings)


def expression_matches(expression: Any, labels: dict[str, str]) -> bool:
    value = labels.get(expression.key)
    values = expression.values or []
    return {
        "In": value in values,
        "NotIn": value not in values,
        "Exists": expression.key in labels,
        "DoesNotExist": expression.key not in labels,
    }.get(expression.operator, False)


def selector_matches(selector: Any, labels: dict[str, str]) -> bool:
    """A LabelSelector (None matches nothing, an empty one everything)."""
    if selector is None:
        return False
    return matches(selector.match_labels or {}, labels) and all(
        expression_matches(e, labels) for e in selector.match_expressions or []
    )


def admits(rule: Any, policy_namespace: str, caller: Any, namespace_labels: dict[str, str], port: int, names: set[str]) -> bool:
    """Whether an ingress rule lets the caller's pods in on the given container port (by number or name)."""
    if rule.ports and not any(p.port is None or str(p.port) == str(port) or p.port in names for p in rule.ports):
        return False
    if not rule._from:
        return True
    for peer in rule._from:
        if peer.ip_block is not None:
            continue  # pod traffic is judged by pod and namespace selectors
        if peer.namespace_selector is None:
            in_namespace = caller.metadata.namespace == policy_namespace
        else:
            in_namespace = selector_matches(peer.namespace_selector, namespace_labels)
        if in_namespace and (peer.pod_selector is None or selector_matches(peer.pod_selector, template_labels(caller))):
            return True
    return False


@pytest.mark.check("network-policies-admit-callers")
def test_network_policies_admit_every_caller(lab: Lab) -> None:
    namespaces = {n.metadata.name: n.metadata.labels or {} for n in lab.listed("namespace")}
    workloads = lab.workloads()
    findings = []
    for caller, service, port in dependencies(lab):
        targets = [
            w
            for w in workloads
            if w.metadata.namespace == service.metadata.namespace and matches(service.spec.selector or {}, template_labels(w))
        ]
        service_port = next((p for p in service.spec.ports if p.port == port), service.spec.ports[0])
        target_port = service_port.target_port if service_port.target_port is not None else port
        for target in targets:
            containers = target.spec.template.spec.containers
            names = {p.name for c in containers for p in c.ports or [] if p.name}
            number = (
                int(target_port)
                if str(target_port).isdigit()
                else next((p.container_port for c in containers for p in c.ports or [] if p.name == target_port), port)
            )
            policies = [
                p
                for p in lab.listed("network_policy")
                if p.metadata.namespace == target.metadata.namespace
                and "Ingress" in (p.spec.policy_types or ["Ingress"])
                and selector_matches(p.spec.pod_selector, template_labels(target))
            ]
            if not policies:
                continue
            caller_namespace = namespaces.get(caller.metadata.namespace, {})
            if any(
                admits(rule, policy.metadata.namespace, caller, caller_namespace, number, names)
                for policy in policies
                for rule in policy.spec.ingress or []
            ):
                continue
            names_of = ", ".join(f"NetworkPolicy {name_of(p)}" for p in policies)
            findings.append(
                found(
                    "calls-dropped",
                    f"{names_of} select the pods of {target.metadata.name} and admit none of {caller.metadata.name}'s pods "
                    f"({','.join(f'{k}={v}' for k, v in template_labels(caller).items())}), which call it on port {port}",
                    name_of(caller),
                    target=name_of(service),
                )
            )
    fail_on(findings)


@pytest.mark.check("missing-endpoints-alert")
def test_an_alert_would_fire_for_a_service_without_endpoints(lab: Lab) -> None:
    lab.require_api()
    rules = [r for g in lab.prometheus("/api/v1/rules")["groups"] for r in g["rules"] if r["type"] == "alerting"]
    watching = [r for r in rules if "kube_endpoint" in r["query"]]
    if not watching:
        fail(
            "endpoints-unwatched",
            "no alerting rule of Prometheus watches the Services' endpoints (kube-state-metrics' kube_endpoint_* series)",
        )
    try:
        series = lab.prometheus("/api/v1/query", query="count(kube_endpoint_info)")["result"]
    except ApiException as err:
        fail("prometheus-unanswered", f"Prometheus cannot be asked whether it has the endpoints' series ({err.reason})")
    if not series:
        fail(
            "endpoints-unwatched",
            f"alert {watching[0]['name']} watches kube_endpoint_* series, but Prometheus has none "
            "(kube-state-metrics must export endpoints)",
        )
