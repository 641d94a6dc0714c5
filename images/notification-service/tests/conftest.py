"""A real RabbitMQ on loopback, a TCP proxy in front of it (to cut the worker off), and the worker itself.

RabbitMQ is Debian's rabbitmq-server, started by hand in a temporary folder with its own epmd on
free ports, so nothing is left behind and nothing of the machine's own RabbitMQ is touched.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import amqp
import pytest

SERVICE_DIR = Path(__file__).resolve().parent.parent
RABBITMQ_SERVER = os.environ.get("RABBITMQ_SERVER", "/usr/lib/rabbitmq/bin/rabbitmq-server")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def amqp_answers(port):
    try:
        conn = amqp.Connection(f"127.0.0.1:{port}", connect_timeout=1)
        conn.connect()
        conn.close()
        return True
    except Exception:
        return False


def stop_group(proc, timeout_s=15.0):
    """SIGTERM to the process group (a server and its helpers), then SIGKILL if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout_s)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.fixture(scope="session")
def rabbitmq_port(tmp_path_factory):
    base = tmp_path_factory.mktemp("rabbitmq")
    for sub in ("home", "mnesia", "log"):
        (base / sub).mkdir()
    epmd_port, port, dist_port = free_port(), free_port(), free_port()
    (base / "enabled_plugins").write_text("[].\n")
    (base / "rabbitmq.conf").write_text(
        f"listeners.tcp.1 = 127.0.0.1:{port}\nlog.console = true\nlog.console.level = info\nlog.file = false\n"
    )
    env = {
        **os.environ,
        "HOME": str(base / "home"),
        "ERL_EPMD_PORT": str(epmd_port),
        "RABBITMQ_NODENAME": f"nstest{port}@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(dist_port),
        "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
        "RABBITMQ_LOG_BASE": str(base / "log"),
        "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
        "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
        "RABBITMQ_CONF_ENV_FILE": "/dev/null",
        "RABBITMQ_PID_FILE": str(base / "rabbitmq.pid"),
    }
    # Our own epmd in the foreground: one that Erlang started by itself would outlive the tests.
    epmd = subprocess.Popen(["epmd", "-port", str(epmd_port)], start_new_session=True)
    log = (base / "rabbitmq.log").open("wb")
    rabbit = subprocess.Popen([RABBITMQ_SERVER], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: amqp_answers(port) or rabbit.poll() is not None, 90, "RabbitMQ")
        assert rabbit.poll() is None, (base / "rabbitmq.log").read_text()[-3000:]
        yield port
    finally:
        stop_group(rabbit)
        stop_group(epmd)
        log.close()


class Proxy:
    """A TCP forwarder to RabbitMQ that the tests can take down (every connection cut) and bring back."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.port = free_port()
        self.listener = None
        self.sockets = []
        self.lock = threading.Lock()
        self.up()

    def up(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(16)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def down(self):
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self.sockets.clear()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


class Response:
    def __init__(self, status, body, headers):
        self.status, self.text, self.headers = status, body.decode(), headers

    def json(self):
        return json.loads(self.text)


class Worker:
    """notification-service run as the image runs it (`python -m notification`)."""

    def __init__(self, workdir, amqp_url):
        self.port = free_port()
        self.log_path = workdir / f"worker-{self.port}.log"
        env = {**os.environ, "AMQP_URL": amqp_url, "PORT": str(self.port), "PYTHONUNBUFFERED": "1"}
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "notification"], cwd=SERVICE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        wait_for(lambda: self._listening() or self.proc.poll() is not None, 20, "the worker's HTTP side")
        assert self.proc.poll() is None, self.log_path.read_text()[-3000:]

    def _listening(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def get(self, path, timeout=5):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=timeout) as r:
                return Response(r.status, r.read(), r.headers)
        except urllib.error.HTTPError as e:
            return Response(e.code, e.read(), e.headers)

    def wait_ready(self, timeout_s=30):
        wait_for(lambda: self.get("/ready").status == 200, timeout_s, "the worker to be ready")

    def metric(self, name):
        for line in self.get("/metrics").text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        raise AssertionError(f"no metric {name}")

    def logs(self):
        """Every line the process wrote, stdout and stderr; a line that is not JSON fails the test."""
        return [json.loads(line) for line in self.log_path.read_text().splitlines() if line.strip()]

    def sent(self):
        return [line for line in self.logs() if line["msg"] == "notification sent"]

    def stop(self, timeout_s=10.0):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"the worker did not stop within {timeout_s} s of SIGTERM") from None
        return self.proc.returncode


@pytest.fixture(scope="session")
def make_worker(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("workers")
    started = []

    def make(amqp_url):
        worker = Worker(workdir, amqp_url)
        started.append(worker)
        return worker

    yield make
    for worker in started:
        if worker.proc.poll() is None:
            worker.proc.kill()
            worker.proc.wait()


@pytest.fixture
def proxy(rabbitmq_port):
    p = Proxy(rabbitmq_port)
    yield p
    p.down()


@pytest.fixture
def channel(rabbitmq_port):
    """A plain AMQP client, as payment-service is: no Celery, no kombu."""
    conn = amqp.Connection(f"127.0.0.1:{rabbitmq_port}")
    conn.connect()
    yield conn.channel()
    conn.close()


def url(port):
    return f"amqp://guest:guest@127.0.0.1:{port}//"
