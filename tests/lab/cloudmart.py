"""A handle on CloudMart as the lab runs it: the ingress over HTTP, the stores behind the services."""

from __future__ import annotations

import hashlib
import json
import shlex
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cloudmart_lab.paths import REPO, cache_dir
from tests.lab.cluster import Cluster

PLATFORM_DEFAULTS = REPO / "roles" / "platform" / "defaults" / "main.yml"


def platform_defaults() -> dict[str, Any]:
    return yaml.safe_load(PLATFORM_DEFAULTS.read_text())


@dataclass
class Response:
    status: int
    body: Any


class CloudMart:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        defaults = platform_defaults()
        self.services: list[dict[str, Any]] = defaults["platform_services"]
        self.base_url = f"http://{cluster.settings.control_plane.ip}:{defaults['platform_ingress_node_port']}"

    # --- HTTP through the ingress -----------------------------------------------------------

    def http(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Response:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                raw, status = answer.read(), answer.status
        except urllib.error.HTTPError as err:
            raw, status = err.read(), err.code
        try:
            return Response(status, json.loads(raw))
        except ValueError:
            return Response(status, raw.decode(errors="replace"))

    def purchase(self) -> tuple[int, dict[str, Any], list[dict[str, Any]]]:
        """A new customer registers, logs in and buys 2 + 1 of two products in stock, through the
        ingress as the web frontend does it. Returns the user id, the order and the two products
        as they were before."""
        email = f"buyer-{uuid.uuid4().hex[:8]}@cloudmart.example"
        created = self.http("POST", "/api/users", {"email": email, "name": "Lab Buyer", "password": "s3cret-pass"})
        assert created.status == 201, f"registering failed: {created}"
        login = self.http("POST", "/api/login", {"email": email, "password": "s3cret-pass"})
        assert login.status == 200 and login.body["token"], f"logging in failed: {login}"
        products = self.http("GET", "/shop/api/products")
        assert products.status == 200 and len(products.body) >= 10, f"listing products failed: {products}"
        chosen = [p for p in products.body if p["stock"] >= 2][:2]
        items = [{"product_id": chosen[0]["id"], "quantity": 2}, {"product_id": chosen[1]["id"], "quantity": 1}]
        order = self.http("POST", f"/api/users/{login.body['user_id']}/orders", {"items": items})
        assert order.status == 201 and order.body["status"] == "paid", f"ordering failed: {order}"
        return login.body["user_id"], order.body, chosen

    def fingerprint(self) -> dict[str, tuple[int, str]]:
        """Row count and checksum of every table that holds CloudMart's data, and of the catalogue:
        a database that came back empty and seeded itself again differs (new password hashes,
        timestamps and stock)."""
        tables = {"userdb": ["users"], "orderdb": ["orders", "order_items"]}
        found = {}
        for database, names in tables.items():
            for table in names:
                checksum = "md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
                rows = self.sql(database, f"SELECT count(*), {checksum} FROM {table} t")
                found[f"{database}.{table}"] = (int(rows[0][0]), rows[0][1])
        products = self.http("GET", "/shop/api/products")
        assert products.status == 200, products
        catalogue = json.dumps(sorted(products.body, key=lambda p: p["id"]), sort_keys=True)
        found["catalog.products"] = (len(products.body), hashlib.md5(catalogue.encode()).hexdigest())
        return found

    # --- the stores, read where the effects land ---------------------------------------------

    def exec_in(self, namespace: str, selector: str, container: str, command: list[str]) -> str:
        pod = self.cluster.kubectl("get", "pods", "-n", namespace, "-l", selector, "-o", "jsonpath={.items[0].metadata.name}")
        done = self.cluster.kubectl("exec", "-n", namespace, pod.stdout, "-c", container, "--", *command)
        return done.stdout

    def sql(self, database: str, query: str) -> list[list[str]]:
        """Rows of a query run by psql inside the database's pod (as the superuser, over its socket)."""
        name = {"userdb": "postgres-user", "orderdb": "postgres-order"}[database]
        script = f"psql -X -A -t -F '|' -U postgres -d {database} -c {shlex.quote(query)}"
        out = self.exec_in("data", f"app={name}", "postgres", ["sh", "-c", script])
        return [line.split("|") for line in out.splitlines() if line]

    def queue(self, name: str) -> dict[str, int]:
        out = self.exec_in(
            "data",
            "app=rabbitmq",
            "rabbitmq",
            ["rabbitmqctl", "-q", "list_queues", "name", "messages_ready", "messages_unacknowledged", "consumers"],
        )
        for line in out.splitlines():
            fields = line.split()
            if fields and fields[0] == name:
                ready, unacked, consumers = (int(v) for v in fields[1:4])
                return {"ready": ready, "unacknowledged": unacked, "consumers": consumers}
        raise AssertionError(f"RabbitMQ has no queue {name}: {out}")

    def logs(self, namespace: str, selector: str, since: str = "10m") -> list[dict[str, Any]]:
        """The JSON log lines of every pod the selector matches."""
        out = self.cluster.kubectl("logs", "-n", namespace, "-l", selector, f"--since={since}", "--tail=-1", "--prefix=false")
        lines = []
        for line in out.stdout.splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
        return lines

    def prometheus(self, query: str) -> list[dict[str, Any]]:
        answer = self.http("GET", "/prometheus/api/v1/query?query=" + urllib.request.quote(query))
        assert answer.status == 200, answer.body
        return answer.body["data"]["result"]

    def artifacts(self) -> Path:
        """Where CI keeps what a run produced (screenshots): outside the checkout, kept between runs."""
        folder = cache_dir() / "artifacts"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
