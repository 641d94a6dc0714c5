"""The worker against a real RabbitMQ: raw JSON payment events in, JSON log lines and counters out."""

import json
import os
import signal
import subprocess
import sys
import time

import amqp
import pytest
from conftest import SERVICE_DIR, free_port, url, wait_for

EXCHANGE, QUEUE, ROUTING_KEY = "payments", "notifications", "payment.captured"


def event(order_id, **extra):
    return {"order_id": order_id, "user_id": 7, "amount": 42.5, "payment_id": f"pay-{order_id}", **extra}


def publish(channel, body, **properties):
    """What payment-service's amqplib client does: a bare body on the exchange, no Celery envelope."""
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    channel.basic_publish(amqp.Message(body, delivery_mode=2, **properties), exchange=EXCHANGE, routing_key=ROUTING_KEY)


def remove_topology(channel):
    channel.queue_delete(QUEUE)
    channel.exchange_delete(EXCHANGE)


def declare_like_payment_service(channel):
    channel.exchange_declare(EXCHANGE, "topic", durable=True, auto_delete=False)
    channel.queue_declare(QUEUE, durable=True, auto_delete=False)
    channel.queue_bind(QUEUE, EXCHANGE, ROUTING_KEY)


def queued(channel):
    """Messages in the queue, ready or unacknowledged (passive declare counts ready ones only)."""
    return channel.queue_declare(QUEUE, passive=True).message_count


@pytest.fixture
def workers(make_worker):
    started = []

    def make(amqp_url):
        worker = make_worker(amqp_url)
        started.append(worker)
        return worker

    yield make
    for worker in started:
        worker.stop()


def test_worker_first_declares_exchange_queue_and_binding(rabbitmq_port, channel, workers):
    remove_topology(channel)
    worker = workers(url(rabbitmq_port))
    worker.wait_ready()
    # The publisher declares nothing: the exchange and the binding must be the worker's.
    publish(channel, event("o-1"), content_type="application/json")
    wait_for(lambda: worker.sent(), 10, "the notification")
    line = worker.sent()[0]
    assert {k: line[k] for k in ("order_id", "user_id", "amount", "payment_id")} == event("o-1")
    assert line["service"] == "notification-service" and line["level"] == "info" and "ts" in line
    assert worker.metric("notifications_sent_total") == 1
    assert queued(channel) == 0


def test_messages_published_before_the_worker_starts_are_all_sent(rabbitmq_port, channel, workers):
    remove_topology(channel)
    declare_like_payment_service(channel)
    publish(channel, event("o-10"), content_type="application/json")
    publish(channel, event("o-11"))  # no content type at all
    publish(channel, event("o-12", amount=0.01), content_type="text/plain")
    wait_for(lambda: queued(channel) == 3, 5, "three messages queued")  # the count lags behind a publish
    worker = workers(url(rabbitmq_port))
    wait_for(lambda: len(worker.sent()) == 3, 20, "three notifications")
    assert sorted(line["order_id"] for line in worker.sent()) == ["o-10", "o-11", "o-12"]
    assert worker.metric("notifications_sent_total") == 3
    assert queued(channel) == 0


def test_malformed_messages_are_dropped_and_counted_not_looped(rabbitmq_port, channel, workers):
    worker = workers(url(rabbitmq_port))
    worker.wait_ready()
    publish(channel, b"not json at all")
    publish(channel, {"user_id": 1, "amount": 3})
    publish(channel, event("o-20"))
    wait_for(lambda: worker.sent(), 10, "the valid notification")
    time.sleep(0.5)  # a requeued bad message would come straight back and be counted again
    assert [line["order_id"] for line in worker.sent()] == ["o-20"]
    assert worker.metric("notifications_rejected_total") == 2
    assert worker.metric("notifications_sent_total") == 1
    assert queued(channel) == 0


def test_ready_follows_the_broker_and_the_worker_reconnects(channel, proxy, workers):
    worker = workers(url(proxy.port))
    worker.wait_ready()
    assert worker.get("/ready").json() == {"status": "ready", "checks": {"broker": "ok"}}
    proxy.down()
    wait_for(lambda: worker.get("/ready").status == 503, 5, "/ready to turn 503")
    start = time.monotonic()
    r = worker.get("/ready")
    assert time.monotonic() - start < 1
    assert r.status == 503 and r.json()["checks"]["broker"].startswith("failed")
    assert worker.get("/health").status == 200
    proxy.up()
    worker.wait_ready(timeout_s=40)
    publish(channel, event("o-30"))
    wait_for(lambda: worker.sent(), 10, "a notification after the reconnect")
    assert worker.metric("notifications_sent_total") == 1


def test_unreachable_broker_is_not_ready_but_alive(workers):
    worker = workers("amqp://guest:guest@127.0.0.1:1//")
    start = time.monotonic()
    r = worker.get("/ready")
    assert time.monotonic() - start < 1
    assert r.status == 503
    assert r.json()["status"] == "not ready" and r.json()["checks"]["broker"].startswith("failed: 127.0.0.1:1")
    assert worker.get("/health").json() == {"status": "ok"}
    time.sleep(1)
    assert worker.proc.poll() is None  # it keeps retrying instead of exiting


def test_metrics_follow_the_contract(rabbitmq_port, workers):
    worker = workers(url(rabbitmq_port))
    worker.wait_ready()
    worker.get("/health")
    worker.get("/nope")
    r = worker.get("/metrics")
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/plain")
    text = r.text
    assert 'http_requests_total{method="GET",route="/ready",status="200"}' in text
    assert 'http_requests_total{method="GET",route="/health",status="200"} 1.0' in text
    assert 'http_requests_total{method="GET",route="<unmatched>",status="404"} 1.0' in text
    assert 'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/health"}' in text
    assert 'http_request_duration_seconds_count{method="GET",route="/health"}' in text
    assert "notifications_sent_total 0.0" in text
    request = next(line for line in worker.logs() if line["msg"] == "request" and line["path"] == "/nope")
    assert {"method", "path", "status", "duration_ms"} <= request.keys() and request["status"] == 404


def test_sigterm_stops_cleanly_within_10s_with_nothing_left_unacked(rabbitmq_port, channel, make_worker):
    worker = make_worker(url(rabbitmq_port))
    worker.wait_ready()
    publish(channel, event("o-40"))
    wait_for(lambda: worker.sent(), 10, "the notification")
    start = time.monotonic()
    assert worker.stop() == 0
    assert time.monotonic() - start < 10
    # An unacknowledged message would be back in the queue once the broker has seen the connection close.
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        assert queued(channel) == 0
        time.sleep(0.1)
    logs = worker.logs()  # every line JSON, Celery's included
    assert all({"ts", "level", "service", "msg"} <= line.keys() for line in logs)
    assert any(line["msg"] == "consuming" and line["queue"] == QUEUE for line in logs)
    assert any(line["msg"] == "shutting down" for line in logs)


def test_sigterm_during_start_up_stops_it_too(rabbitmq_port):
    # Still importing Celery: as PID 1 the process would ignore the signal without a handler of its own.
    env = {**os.environ, "AMQP_URL": url(rabbitmq_port), "PORT": str(free_port())}
    proc = subprocess.Popen([sys.executable, "-m", "notification"], cwd=SERVICE_DIR, env=env, stdout=subprocess.DEVNULL)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
