"""/ready's check: the broker is reachable and the `notifications` consumer is attached to it."""

from __future__ import annotations

import socket
from collections.abc import Callable

from kombu.utils.url import url_to_parts

from .worker import CONSUMING

# Kubernetes' default probe timeout is 1 s.
CONNECT_TIMEOUT_S = 0.8


def broker_address(amqp_url: str) -> tuple[str, int]:
    parts = url_to_parts(amqp_url)
    default_port = 5671 if parts.scheme == "amqps" else 5672
    return parts.hostname or "localhost", parts.port or default_port


def broker_check(amqp_url: str) -> Callable[[], dict[str, str]]:
    """The readiness checks, {"broker": "ok" | "failed: ..."}.

    The consumer flag alone can lag: an established connection may outlive a broker that new
    connections can no longer reach (a network policy, a node gone without closing its sockets) until
    heartbeats time out. A fresh TCP connection, which is cheap and leaves no trace in RabbitMQ's
    connection log unlike an AMQP login, tells at once.
    """
    host, port = broker_address(amqp_url)

    def check() -> dict[str, str]:
        try:
            with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
                pass
        except OSError as exc:
            return {"broker": f"failed: {host}:{port}: {exc}"[:200]}
        if not CONSUMING.is_set():
            return {"broker": "failed: not consuming from the queue notifications (connecting to the broker)"}
        return {"broker": "ok"}

    return check
