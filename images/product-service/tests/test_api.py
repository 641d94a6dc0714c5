"""The HTTP API of images/PLATFORM.md, over real HTTP, against real FerretDB and Redis."""

import os
import subprocess
import sys
import threading
import time
from collections import Counter

import redis
from conftest import SERVICE_DIR, free_port, stop, wait_for

DEMO_IDS = [f"p-{n:03d}" for n in range(1, 13)]


def test_health(app):
    r = app.get("/health")
    assert r.status == 200 and r.json() == {"status": "ok"}


def test_ready_when_both_answer(app):
    r = app.get("/ready")
    assert r.status == 200, r.text
    assert r.json() == {"status": "ready", "checks": {"mongodb": "ok", "redis": "ok"}}


def test_demo_catalogue_is_seeded(app):
    products = app.get("/products").json()
    assert [p["id"] for p in products] == DEMO_IDS
    for p in products:
        assert p.keys() == {"id", "name", "description", "price", "stock", "category"}
        assert p["name"] and p["description"] and p["category"]
        assert p["price"] > 0 and p["stock"] > 0


def test_seeding_again_neither_duplicates_nor_resets_stock(app, make_app, catalog_env, db):
    before = app.get("/products/p-002").json()["stock"]
    assert app.post("/products/p-002/reserve", {"quantity": 3}).status == 200
    second = make_app(**catalog_env, SEED_DEMO_DATA="true")
    assert second.wait_for_log("demo catalogue seeded")["inserted"] == 0
    assert second.stop() == 0
    assert db.products.count_documents({}) >= 12
    assert db.products.count_documents({"id": "p-002"}) == 1
    assert app.get("/products/p-002").json()["stock"] == before - 3


def test_create_get_list(app):
    body = {"id": "mug-1", "name": "Mug", "price": 12.5, "stock": 3, "category": "kitchen"}
    r = app.post("/products", body)
    assert r.status == 201, r.text
    created = r.json()
    assert created == body | {"description": ""}
    assert app.get("/products/mug-1").json() == created
    assert created in app.get("/products").json()
    assert app.get("/products/nope").status == 404


def test_create_generates_an_id_and_refuses_duplicates_and_bad_bodies(app):
    r = app.post("/products", {"name": "Pen", "price": 1})
    assert r.status == 201 and r.json()["id"].startswith("p-") and r.json()["stock"] == 0
    assert app.get(f"/products/{r.json()['id']}").json()["name"] == "Pen"
    assert app.post("/products", {"id": "p-001", "name": "x", "price": 1}).status == 409
    assert app.post("/products", {"name": "x", "price": -1}).status == 422
    assert app.post("/products", {"price": 1}).status == 422


def test_get_is_cached_in_redis_for_60s_and_reserve_invalidates(app, db, redis_port):
    app.post("/products", {"id": "lamp-1", "name": "Lamp", "price": 20, "stock": 10})
    assert app.get("/products/lamp-1").json()["stock"] == 10
    cache = redis.Redis(port=redis_port)
    assert 0 < cache.ttl("product:lamp-1") <= 60
    # Changed behind the service's back: the cached copy is what is served.
    db.products.update_one({"id": "lamp-1"}, {"$set": {"stock": 7}})
    assert app.get("/products/lamp-1").json()["stock"] == 10
    r = app.post("/products/lamp-1/reserve", {"quantity": 2})
    assert r.status == 200 and r.json() == {"id": "lamp-1", "price": 20.0, "reserved": 2}
    assert cache.exists("product:lamp-1") == 0
    assert app.get("/products/lamp-1").json()["stock"] == 5


def test_on_a_redis_cluster_reads_are_cached_on_the_slot_owner(make_app, catalog_env, redis_cluster_ports):
    app = make_app(**{**catalog_env, "REDIS_PORT": str(redis_cluster_ports[0]), "REDIS_CLUSTER": "true"})
    wait_for(lambda: app.get("/ready").status == 200, 20, "ready on the cluster")
    created = app.post("/products", {"id": "cluster-1", "name": "Clustered lamp", "price": 9.5, "stock": 3})
    assert created.status == 201, created.text
    assert app.get("/products/cluster-1").json()["name"] == "Clustered lamp"
    cluster = redis.RedisCluster(host="127.0.0.1", port=redis_cluster_ports[0])
    assert 0 < cluster.ttl("product:cluster-1") <= 60
    # the key lives on one master only: the client followed the slot map
    owners = [port for port in redis_cluster_ports if redis.Redis(port=port).execute_command("DBSIZE")]
    assert len(owners) == 1
    cluster.close()


def test_reserve_short_unknown_and_invalid(app):
    app.post("/products", {"id": "few-1", "name": "Few", "price": 3, "stock": 3})
    r = app.post("/products/few-1/reserve", {"quantity": 4})
    assert r.status == 409 and r.json()["available"] == 3
    assert app.post("/products/few-1/reserve", {"quantity": 3}).status == 200
    assert app.post("/products/few-1/reserve", {"quantity": 1}).status == 409
    assert app.post("/products/nope/reserve", {"quantity": 1}).status == 404
    assert app.post("/products/few-1/reserve", {"quantity": 0}).status == 422
    assert app.post("/products/few-1/reserve", {}).status == 422


def test_concurrent_reservations_on_two_replicas_never_oversell(app, make_app, catalog_env):
    # FerretDB alone loses decrements here (its findAndModify reads, then writes): this fails without the lock.
    other = make_app(**catalog_env)
    app.post("/products", {"id": "hot-1", "name": "Hot", "price": 5, "stock": 10})
    statuses = []
    lock = threading.Lock()

    def reserve(replica):
        # 503 "product busy, retry" is the answer when the lock stays taken past its wait (a loaded
        # machine): callers retry it, as this one does; what must never happen is an oversell.
        for _ in range(30):
            status = replica.post("/products/hot-1/reserve", {"quantity": 1}).status
            if status != 503:
                break
            time.sleep(0.2)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=reserve, args=(app if i % 2 else other,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(statuses) == {200: 10, 409: 30}
    assert app.get("/products/hot-1").json()["stock"] == 0


def test_redis_down_is_not_ready_but_reads_still_work(make_app, catalog_env, app):
    closed = {"REDIS_PORT": "1"}
    degraded = make_app(**(catalog_env | closed))
    r = degraded.get("/ready")
    assert r.status == 503
    checks = r.json()["checks"]
    assert checks["mongodb"] == "ok" and checks["redis"].startswith("failed")
    assert degraded.get("/products/p-001").status == 200
    assert degraded.get("/health").status == 200


def test_hung_database_is_not_ready_within_a_second(make_app, catalog_env, blackhole_port):
    hung = make_app(**(catalog_env | {"MONGO_URL": f"mongodb://127.0.0.1:{blackhole_port}"}))
    start = time.monotonic()
    r = hung.get("/ready")
    assert time.monotonic() - start < 1.5
    assert r.status == 503
    checks = r.json()["checks"]
    assert checks["mongodb"].startswith("failed") and checks["redis"] == "ok"
    r = hung.get("/products")
    assert r.status == 503 and r.json() == {"detail": "catalog database unavailable"}
    assert hung.get("/health").status == 200


def test_metrics_use_the_route_template(app):
    app.get("/products/p-001")
    app.get("/no/such/path")
    r = app.get("/metrics")
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/plain")
    text = r.text
    assert 'http_requests_total{method="GET",route="/products/{id}",status="200"}' in text
    assert 'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/products/{id}"}' in text
    assert 'http_request_duration_seconds_count{method="GET",route="/products/{id}"}' in text
    assert 'route="<unmatched>",status="404"' in text
    assert "p-001" not in text


def test_logs_are_json_lines_with_the_request_fields(app):
    app.get("/products/p-003")
    # The line is written once the response has gone out, so it may come a moment after it.
    wait_for(lambda: any(line.get("path") == "/products/p-003" for line in app.logs()), 5, "the request log line")
    lines = app.logs()  # every line parses as JSON
    assert all({"ts", "level", "service", "msg"} <= line.keys() for line in lines)
    request = next(line for line in reversed(lines) if line["msg"] == "request" and line["path"] == "/products/p-003")
    assert request["service"] == "product-service" and request["level"] == "info"
    assert request["method"] == "GET" and request["status"] == 200 and request["duration_ms"] >= 0
    assert "T" in request["ts"] and request["ts"].endswith("+00:00")


def test_sigterm_stops_gracefully_within_10s(make_app, catalog_env):
    instance = make_app(**catalog_env)
    start = time.monotonic()
    assert instance.stop() == 0
    assert time.monotonic() - start < 10
    assert any(line["msg"].startswith("Finished server process") for line in instance.logs())


def test_sigterm_during_start_up_stops_it_too(catalog_env):
    # Still importing FastAPI: as PID 1 the process would ignore the signal without a handler of its own.
    env = {**os.environ, **catalog_env, "PORT": str(free_port())}
    proc = subprocess.Popen([sys.executable, "-m", "app"], cwd=SERVICE_DIR, env=env, stdout=subprocess.DEVNULL)
    time.sleep(0.3)
    assert stop(proc) == 0
