"""The contract's HTTP side on 8080 (/health, /ready, /metrics), in a daemon thread beside the worker."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"])
DURATION = Histogram("http_request_duration_seconds", "HTTP request duration", ["method", "route"])
log = logging.getLogger("http")

Answer = tuple[int, str, bytes]
JSON = "application/json"


def _json(status: int, body: dict[str, Any]) -> Answer:
    return status, JSON, json.dumps(body).encode()


def make_handler(readiness: Callable[[], dict[str, str]]) -> type[BaseHTTPRequestHandler]:
    def health() -> Answer:
        return _json(200, {"status": "ok"})

    def ready() -> Answer:
        checks = readiness()
        if all(v == "ok" for v in checks.values()):
            return _json(200, {"status": "ready", "checks": checks})
        return _json(503, {"status": "not ready", "checks": checks})

    def metrics() -> Answer:
        return 200, CONTENT_TYPE_LATEST, generate_latest()

    routes: dict[str, Callable[[], Answer]] = {"/health": health, "/ready": ready, "/metrics": metrics}

    class Handler(BaseHTTPRequestHandler):
        server_version = "notification-service"

        def do_GET(self) -> None:
            start = time.perf_counter()
            path = self.path.split("?", 1)[0]
            route = path if path in routes else "<unmatched>"
            status, ctype, body = routes[route]() if route in routes else _json(404, {"detail": "not found"})
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            elapsed = time.perf_counter() - start
            REQUESTS.labels("GET", route, str(status)).inc()
            DURATION.labels("GET", route).observe(elapsed)
            # Successful probes and scrapes come every few seconds: not worth a line each.
            if status >= 400 or route not in routes:
                extra = {"method": "GET", "path": path, "route": route, "status": status, "duration_ms": round(elapsed * 1000, 2)}
                log.info("request", extra=extra)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # http.server's own stderr lines are replaced by ours

    return Handler


def serve(port: int, readiness: Callable[[], dict[str, str]], host: str = "0.0.0.0") -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), make_handler(readiness))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    return server
