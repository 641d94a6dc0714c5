"""Real dependencies on loopback for the tests: FerretDB (SQLite handler), redis-server, and the app itself.

test.sh names the binaries with FERRETDB_BIN and REDIS_SERVER; each runs in a temporary folder on a
free port and is stopped at the end of the session.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from pymongo import MongoClient

SERVICE_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cluster_port() -> int:
    """A free port for a Redis Cluster node: its cluster bus listens 10000 above it, so the port
    must be 55535 or less (redis-server refuses to start otherwise) and that one free too."""
    while True:
        port = free_port()
        if port <= 55535:
            with socket.socket() as bus:
                try:
                    bus.bind(("127.0.0.1", port + 10000))
                except OSError:
                    continue
            return port


def wait_for(condition, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def stop(proc, timeout_s=10.0):
    """SIGTERM, then the exit code; a process that outlives the timeout is killed and the test fails."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(f"{proc.args[0]} did not stop within {timeout_s} s of SIGTERM") from None
    return proc.returncode


def binary(env_name, default):
    path = os.environ.get(env_name) or shutil.which(default)
    if not path:
        pytest.fail(f"{default} not found: set {env_name} (test.sh does)")
    return path


@pytest.fixture(scope="session")
def ferretdb(tmp_path_factory):
    state = tmp_path_factory.mktemp("ferretdb")
    port = free_port()
    cmd = [
        binary("FERRETDB_BIN", "ferretdb"),
        "--handler=sqlite",
        f"--sqlite-url=file:{state}/",
        f"--state-dir={state}",
        f"--listen-addr=127.0.0.1:{port}",
        "--debug-addr=-",
        "--telemetry=disable",
        "--log-level=warn",
    ]
    with (state / "ferretdb.log").open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: port_open(port) or proc.poll() is not None, 20, "FerretDB")
        assert proc.poll() is None, (state / "ferretdb.log").read_text()[-2000:]
        yield f"mongodb://127.0.0.1:{port}"
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def redis_port(tmp_path_factory):
    folder = tmp_path_factory.mktemp("redis")
    port = free_port()
    cmd = [binary("REDIS_SERVER", "redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    cmd += ["--appendonly", "no", "--dir", str(folder)]
    with (folder / "redis.log").open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: port_open(port) or proc.poll() is not None, 10, "redis-server")
        assert proc.poll() is None, (folder / "redis.log").read_text()[-2000:]
        yield port
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def redis_cluster_ports(tmp_path_factory):
    """A real Redis Cluster of three masters on loopback, formed with redis-cli as the platform role does."""
    server = binary("REDIS_SERVER", "redis-server")
    cli = str(Path(server).with_name("redis-cli"))
    ports, procs = [cluster_port() for _ in range(3)], []
    try:
        for port in ports:
            folder = tmp_path_factory.mktemp(f"redis-cluster-{port}")
            cmd = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            cmd += ["--dir", str(folder), "--cluster-enabled", "yes", "--cluster-config-file", str(folder / "nodes.conf")]
            with (folder / "redis.log").open("wb") as log:
                procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT))
            wait_for(lambda port=port: port_open(port), 10, f"redis-server on {port}")
        create = [cli, "--cluster", "create", *(f"127.0.0.1:{port}" for port in ports), "--cluster-yes"]
        subprocess.run(create, check=True, capture_output=True, timeout=30)

        def formed():
            info = subprocess.run([cli, "-p", str(ports[0]), "cluster", "info"], capture_output=True, text=True).stdout
            return "cluster_state:ok" in info

        wait_for(formed, 20, "the Redis Cluster to serve every slot")
        yield ports
    finally:
        for proc in procs:
            stop(proc)


@pytest.fixture(scope="session")
def blackhole_port():
    """A port that accepts TCP connections and never answers: a hung dependency."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        yield s.getsockname()[1]


class Response:
    def __init__(self, status, body, headers):
        self.status, self.text, self.headers = status, body.decode(), headers

    def json(self):
        return json.loads(self.text)


class App:
    """product-service run as the image runs it (`python -m app`), spoken to over real HTTP."""

    def __init__(self, workdir, **env):
        self.port = free_port()
        self.log_path = workdir / f"app-{self.port}.log"
        full_env = {**os.environ, "PORT": str(self.port), "PYTHONUNBUFFERED": "1", **env}
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app"], cwd=SERVICE_DIR, env=full_env, stdout=log, stderr=subprocess.STDOUT
            )
        wait_for(lambda: port_open(self.port) or self.proc.poll() is not None, 20, "product-service to listen")
        assert self.proc.poll() is None, self.log_path.read_text()[-3000:]

    def request(self, method, path, body=None, timeout=10):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return Response(r.status, r.read(), r.headers)
        except urllib.error.HTTPError as e:
            return Response(e.code, e.read(), e.headers)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.request("POST", path, body, **kw)

    def logs(self):
        """The JSON lines logged so far; a line that is not JSON fails the test."""
        lines = self.log_path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def wait_for_log(self, msg, timeout_s=15):
        wait_for(lambda: any(line["msg"] == msg for line in self.logs()), timeout_s, f"log line {msg!r}")
        return next(line for line in self.logs() if line["msg"] == msg)

    def stop(self):
        return stop(self.proc)


@pytest.fixture(scope="session")
def make_app(tmp_path_factory, ferretdb, redis_port):
    # Asks for the servers so that it is torn down first: the apps stop before what they use.
    workdir = tmp_path_factory.mktemp("apps")
    started = []

    def make(**env):
        app = App(workdir, **env)
        started.append(app)
        return app

    yield make
    for app in started:
        stop(app.proc)


@pytest.fixture(scope="session")
def catalog_env(ferretdb, redis_port):
    """Environment of an app on the real FerretDB and Redis, in a database of its own."""
    return {
        "MONGO_URL": ferretdb,
        "MONGO_DB": f"catalog_{uuid.uuid4().hex[:8]}",
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": str(redis_port),
    }


@pytest.fixture(scope="session")
def app(make_app, catalog_env):
    """The app under test, with the demo catalogue seeded."""
    instance = make_app(**catalog_env, SEED_DEMO_DATA="true")
    instance.wait_for_log("demo catalogue seeded")
    return instance


@pytest.fixture(scope="session")
def db(ferretdb, catalog_env):
    client = MongoClient(ferretdb, serverSelectionTimeoutMS=5000)
    yield client[catalog_env["MONGO_DB"]]
    client.close()
