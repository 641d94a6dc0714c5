"""Scenario 3 (storage): the claims, their classes and volumes, and the data they keep."""

from __future__ import annotations

import json
import shlex
from typing import Any

import pytest
from kubernetes.utils import parse_quantity
from lab import Lab, fail, fail_on, found, name_of, ready

# Provisioners whose volumes live on one node's disk and so serve one node at a time.
NODE_LOCAL = {"rancher.io/local-path", "kubernetes.io/no-provisioner"}
SINGLE_NODE_MODES = {"ReadWriteOnce", "ReadWriteOncePod"}


def default_class(lab: Lab) -> Any | None:
    key = "storageclass.kubernetes.io/is-default-class"
    return next((c for c in lab.listed("storage_class") if (c.metadata.annotations or {}).get(key) == "true"), None)


def class_of(lab: Lab, claim: Any) -> tuple[str | None, Any | None]:
    name = claim.spec.storage_class_name
    if name is None:
        default = default_class(lab)
        return (default.metadata.name if default else None), default
    return name, next((c for c in lab.listed("storage_class") if c.metadata.name == name), None)


@pytest.mark.check("claims-bound")
def test_every_claim_is_bound(lab: Lab) -> None:
    findings = []
    for claim in lab.listed("claim"):
        if claim.status.phase != "Bound":
            event = lab.newest_event(claim)
            why = event.message if event else "no event says why"
            findings.append(
                found(
                    "claim-not-bound",
                    f"claim {name_of(claim)} is {claim.status.phase}: {why}",
                    name_of(claim),
                    phase=claim.status.phase,
                )
            )
    fail_on(findings)


@pytest.mark.check("data-layer-ready")
def test_the_data_layer_runs(lab: Lab) -> None:
    findings = []
    for workload in lab.workloads():
        if workload.metadata.namespace != "data":
            continue
        want, have = workload.spec.replicas or 0, workload.status.ready_replicas or 0
        if have < want:
            findings.append(
                found(
                    "store-not-ready",
                    f"{name_of(workload)} has {have} of {want} replicas ready",
                    name_of(workload),
                    have=have,
                    want=want,
                )
            )
    fail_on(findings)


@pytest.mark.check("claim-storage-classes")
def test_every_claim_asks_for_a_storage_class_that_exists(lab: Lab) -> None:
    existing = ", ".join(c.metadata.name for c in lab.listed("storage_class")) or "none"
    findings = []
    for claim in lab.listed("claim"):
        name, storage_class = class_of(lab, claim)
        if name is None:
            findings.append(
                found(
                    "claim-unprovisioned",
                    f"claim {name_of(claim)} names no StorageClass and the cluster has no default one",
                    name_of(claim),
                )
            )
        elif storage_class is None:
            findings.append(
                found(
                    "claim-unprovisioned",
                    f"claim {name_of(claim)} asks for StorageClass {name}, which does not exist (the cluster has: {existing})",
                    name_of(claim),
                )
            )
    fail_on(findings)


@pytest.mark.check("claim-specs-satisfiable")
def test_every_claim_asks_what_its_class_can_give(lab: Lab) -> None:
    volumes = {v.metadata.name: v for v in lab.listed("volume")}
    largest_disk = max((parse_quantity(n.status.capacity.get("ephemeral-storage", "0")) for n in lab.listed("node")), default=0)
    findings = []
    for claim in lab.listed("claim"):
        modes = set(claim.spec.access_modes or [])
        volume = volumes.get(claim.spec.volume_name or "")
        _, storage_class = class_of(lab, claim)
        if volume is not None and not modes <= set(volume.spec.access_modes or []):
            findings.append(
                found(
                    "claim-cannot-bind",
                    f"claim {name_of(claim)} asks for {', '.join(sorted(modes))}, "
                    f"which its volume {volume.metadata.name} does not offer",
                    name_of(claim),
                )
            )
        if storage_class is not None and storage_class.provisioner in NODE_LOCAL and not modes <= SINGLE_NODE_MODES:
            findings.append(
                found(
                    "claim-unprovisioned",
                    f"claim {name_of(claim)} asks for {', '.join(sorted(modes - SINGLE_NODE_MODES))}, which StorageClass "
                    f"{storage_class.metadata.name} ({storage_class.provisioner}) cannot give: its volumes live on one node",
                    name_of(claim),
                )
            )
        size = parse_quantity((claim.spec.resources.requests or {}).get("storage", "0"))
        if largest_disk and size > largest_disk:
            findings.append(
                found(
                    "claim-unprovisioned",
                    f"claim {name_of(claim)} asks for {claim.spec.resources.requests['storage']}, "
                    "more than any node's disk holds",
                    name_of(claim),
                )
            )
    fail_on(findings)


def sql(lab: Lab, app: str, database: str, query: str) -> list[str]:
    pods = [p for p in lab.pods_of("data", {"app": app}) if ready(p)]
    if not pods:
        fail("database-unreadable", f"database {database} cannot be read: no pod of data/{app} is ready", database)
    command = f"psql -X -A -t -U postgres -d {database} -c {shlex.quote(query)}"
    _, out = lab.exec(pods, ["sh", "-c", command])
    if "ERROR" in out or "FATAL" in out:
        fail("database-errors", f"database {database} answers with an error: {out.strip().splitlines()[-1]}", database)
    return [line for line in out.splitlines() if line]


def quoted(values: list[Any]) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


@pytest.mark.check("seeded-data-intact")
def test_the_seeded_data_is_there(lab: Lab) -> None:
    seeded = lab.settings.seeded
    findings = []
    users = sql(lab, "postgres-user", "userdb", f"SELECT email FROM users WHERE email IN ({quoted(seeded['users'])})")
    if missing := sorted(set(seeded["users"]) - set(users)):
        findings.append(found("rows-lost", f"userdb lost seeded users: {', '.join(missing)}", "userdb", rows=", ".join(missing)))
    orders = sql(
        lab,
        "postgres-order",
        "orderdb",
        f"SELECT o.id FROM orders o WHERE o.id IN ({quoted(seeded['orders'])}) AND EXISTS "
        "(SELECT 1 FROM order_items i WHERE i.order_id = o.id)",
    )
    if missing := sorted(set(map(str, seeded["orders"])) - set(orders)):
        findings.append(
            found(
                "rows-lost",
                f"orderdb lost seeded orders (or their items): {', '.join(missing)}",
                "orderdb",
                rows=", ".join(missing),
            )
        )
    pods = [p for p in lab.pods_of("backend", {"app": "product-service"}) if p.status.phase == "Running"]
    if not pods:
        findings.append(
            found(
                "database-unreadable", "the product catalogue cannot be read: no pod of backend/product-service runs", "productdb"
            )
        )
    else:
        try:
            answer = lab.core.connect_get_namespaced_pod_proxy_with_path(
                f"{pods[0].metadata.name}:8080", "backend", "products", _request_timeout=10, _preload_content=False
            )
            ids = {p["id"] for p in json.loads(answer.read())}
        except Exception as err:
            findings.append(
                found(
                    "database-errors",
                    f"the product catalogue cannot be read from {name_of(pods[0])}: {str(err).splitlines()[0]}",
                    "productdb",
                )
            )
        else:
            if missing := sorted(set(seeded["products"]) - ids):
                findings.append(
                    found(
                        "rows-lost",
                        f"the catalogue lost seeded products: {', '.join(missing)}",
                        "productdb",
                        rows=", ".join(missing),
                    )
                )
    fail_on(findings)


@pytest.mark.check("storage-quota")
def test_every_namespace_with_claims_caps_what_they_may_ask(lab: Lab) -> None:
    findings = []
    for namespace in sorted({c.metadata.namespace for c in lab.listed("claim")}):
        quotas = [
            q
            for q in lab.listed("resource_quota")
            if q.metadata.namespace == namespace
            and any(
                k == "requests.storage" or k.endswith(".storageclass.storage.k8s.io/requests.storage") for k in q.spec.hard or {}
            )
        ]
        ranges = [
            r
            for r in lab.listed("limit_range")
            if r.metadata.namespace == namespace
            and any(item.type == "PersistentVolumeClaim" and (item.max or {}).get("storage") for item in r.spec.limits)
        ]
        if not quotas and not ranges:
            findings.append(
                found(
                    "claims-uncapped",
                    f"namespace {namespace} admits claims of any size: "
                    "no ResourceQuota on requests.storage and no LimitRange for claims",
                    namespace,
                )
            )
    fail_on(findings)
