"""Redis cache of single products (GET /products/{id}), 60 s TTL, dropped on every change.

The cache only speeds reads up: when Redis fails, requests go to the database and a warning is
logged (readiness still reports Redis, as the contract asks). With `cluster` the host is any node
of a Redis Cluster (the `full` profile), which the client asks for the slot map.
"""

from __future__ import annotations

import json
import logging

import redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisClusterException
from redis.retry import Retry

from .store import Product

log = logging.getLogger("cache")
# A cluster client that cannot read the slot map raises the latter, which is not a RedisError.
ERRORS = (redis.RedisError, RedisClusterException)


class ProductCache:
    def __init__(self, host: str, port: int = 6379, ttl_s: int = 60, timeout_s: float = 0.5, *, cluster: bool = False) -> None:
        self.ttl_s = ttl_s
        # One immediate retry covers a pooled connection that a Redis restart closed; redis-py's default
        # (3 retries with up to 10 s backoff) would make every request wait when Redis is down.
        self._options = {
            "host": host,
            "port": port,
            "socket_connect_timeout": timeout_s,
            "socket_timeout": timeout_s,
            "retry": Retry(NoBackoff(), 1),
        }
        self._client: redis.Redis | redis.RedisCluster | None = None if cluster else redis.Redis(**self._options)

    @property
    def redis(self) -> redis.Redis | redis.RedisCluster:
        # A cluster client reads the slot map when it is made: made on first use, so that the service
        # starts (and reports Redis unready) while the cluster is still forming.
        if self._client is None:
            self._client = redis.RedisCluster(**self._options)
        return self._client

    @staticmethod
    def key(product_id: str) -> str:
        return f"product:{product_id}"

    def ping(self) -> None:
        self.redis.ping()

    def get(self, product_id: str) -> Product | None:
        try:
            raw = self.redis.get(self.key(product_id))
        except ERRORS as exc:
            log.warning("cache read failed", extra={"product_id": product_id, "error": str(exc)})
            return None
        return json.loads(raw) if raw else None

    def put(self, product: Product) -> None:
        try:
            self.redis.set(self.key(product["id"]), json.dumps(product), ex=self.ttl_s)
        except ERRORS as exc:
            log.warning("cache write failed", extra={"product_id": product["id"], "error": str(exc)})

    def invalidate(self, product_id: str) -> None:
        try:
            self.redis.delete(self.key(product_id))
        except ERRORS as exc:
            # A stale entry lives at most ttl_s; say so, since stock shown may be off until then.
            log.warning("cache invalidation failed", extra={"product_id": product_id, "error": str(exc)})
