"""The Celery worker and its consumer of raw payment events.

payment-service is a plain AMQP client, not Celery: it publishes bare JSON
{"order_id","user_id","amount","payment_id"} to the topic exchange `payments` with routing key
`payment.captured`. Celery's task consumer would drop such messages as unknown, so a consumer
bootstep (celery.bootsteps.ConsumerStep) reads the queue `notifications` itself, on the worker's
broker connection and event loop; Celery reconnects it and restarts the step when the broker
comes back.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from celery import Celery, bootsteps
from celery.apps import worker as celery_worker
from celery.signals import worker_shutting_down
from kombu import Consumer, Exchange, Queue
from kombu.message import Message
from prometheus_client import Counter

log = logging.getLogger("notification")

# The same topology payment-service asserts: whichever side starts first, the binding exists.
PAYMENTS = Exchange("payments", type="topic", durable=True)
NOTIFICATIONS = Queue("notifications", exchange=PAYMENTS, routing_key="payment.captured", durable=True)

SENT = Counter("notifications_sent", "Notifications sent (one per payment.captured message)")
REJECTED = Counter("notifications_rejected", "Messages dropped because they were not a payment event")

# Set while the consumer step holds a channel on a live broker connection; /ready reads it.
CONSUMING = threading.Event()

EVENT_FIELDS = ("order_id", "user_id", "amount", "payment_id")


class BadMessageError(ValueError):
    pass


def parse(body: bytes | str) -> dict[str, Any]:
    """The payment event in a message body, or BadMessageError."""
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadMessageError(f"not JSON: {exc}") from None
    if not isinstance(event, dict) or event.get("order_id") in (None, ""):
        raise BadMessageError("no order_id")
    return event


def notify(event: dict[str, Any]) -> None:
    """'Send' the notification: this lab logs it and counts it."""
    log.info("notification sent", extra={k: event.get(k) for k in EVENT_FIELDS})
    SENT.inc()


def on_message(message: Message) -> None:
    try:
        event = parse(message.body)
    except BadMessageError as exc:
        # Requeueing a malformed message would only loop it forever; drop it and say so.
        log.warning("message rejected", extra={"reason": str(exc), "body": repr(message.body[:200])})
        REJECTED.inc()
        message.reject(requeue=False)
        return
    notify(event)
    message.ack()


class NotificationConsumer(bootsteps.ConsumerStep):
    def get_consumers(self, channel: Any) -> list[Consumer]:
        # on_message gets the raw message, whatever its content type (or none): no Celery task decoding.
        # auto_declare declares the exchange, the queue and their binding before consuming.
        consumer = Consumer(channel, queues=[NOTIFICATIONS], on_message=on_message, auto_declare=True)
        consumer.qos(prefetch_count=20)
        return [consumer]

    def start(self, c: Any) -> None:
        super().start(c)
        CONSUMING.set()
        log.info(
            "consuming", extra={"queue": NOTIFICATIONS.name, "exchange": PAYMENTS.name, "routing_key": NOTIFICATIONS.routing_key}
        )

    def stop(self, c: Any) -> None:
        # Celery calls stop when the connection is lost, before it reconnects and calls start again.
        CONSUMING.clear()
        super().stop(c)

    def shutdown(self, c: Any) -> None:
        CONSUMING.clear()
        super().shutdown(c)


class JsonLoggingWorker(celery_worker.Worker):
    """Celery's worker, without the plain-text line it prints on SIGTERM (logs here are JSON lines only)."""

    def install_platform_tweaks(self, worker: Any) -> None:
        super().install_platform_tweaks(worker)
        # The same warm shutdown Celery installs, minus its print; on_shutting_down logs it instead.
        celery_worker._shutdown_handler(worker, sig="SIGTERM", how="Warm", verbose=False)


@worker_shutting_down.connect
def on_shutting_down(sig: str, how: str, exitcode: int, **kwargs: Any) -> None:
    log.info("shutting down", extra={"signal": sig, "how": how.lower()})


def make_app(broker_url: str) -> Celery:
    app = Celery("notification-service", broker=broker_url)
    app.conf.update(
        # Logging is ours (JSON lines); see __main__.
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        # Keep retrying the broker for ever: the pod stays up and shows not-ready instead of crash-looping.
        broker_connection_retry=True,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        broker_connection_timeout=3,
        # Heartbeats notice a silently dead connection within ~30 s, so the consumer reconnects (and /ready
        # says so meanwhile) instead of waiting on a socket that will never answer.
        broker_heartbeat=10,
        # No Celery tasks run here; this also silences Celery's warning about the default changing.
        worker_cancel_long_running_tasks_on_connection_loss=True,
        # No remote control: the broker sees no pidbox queue. Celery's task consumer still needs a queue;
        # it gets one of its own so nothing ever lands in it by mistake.
        worker_enable_remote_control=False,
        task_default_queue="notification-service.tasks",
        worker_prefetch_multiplier=1,
    )
    app.steps["consumer"].add(NotificationConsumer)
    app.Worker = app.subclass_with_self(JsonLoggingWorker)
    return app
