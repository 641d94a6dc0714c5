"""Redis cache of single products (GET /products/{id}), 60 s TTL, dropped on every change.

The cache only speeds reads up: when Redis fails, requests go to the database and a warning is
logged (readiness still reports Redis, as the contract asks).
"""

from __future__ import annotations

import json
import logging

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .store import Product

log = logging.getLogger("cache")


class ProductCache:
    def __init__(self, host: str, port: int = 6379, ttl_s: int = 60, timeout_s: float = 0.5) -> None:
        self.ttl_s = ttl_s
        # One immediate retry covers a pooled connection that a Redis restart closed; redis-py's default
        # (3 retries with up to 10 s backoff) would make every request wait when Redis is down.
        self.redis = redis.Redis(
            host=host,
            port=port,
            socket_connect_timeout=timeout_s,
            socket_timeout=timeout_s,
            retry=Retry(NoBackoff(), 1),
        )

    @staticmethod
    def key(product_id: str) -> str:
        return f"product:{product_id}"

    def ping(self) -> None:
        self.redis.ping()

    def get(self, product_id: str) -> Product | None:
        try:
            raw = self.redis.get(self.key(product_id))
        except redis.RedisError as exc:
            log.warning("cache read failed", extra={"product_id": product_id, "error": str(exc)})
            return None
        return json.loads(raw) if raw else None

    def put(self, product: Product) -> None:
        try:
            self.redis.set(self.key(product["id"]), json.dumps(product), ex=self.ttl_s)
        except redis.RedisError as exc:
            log.warning("cache write failed", extra={"product_id": product["id"], "error": str(exc)})

    def invalidate(self, product_id: str) -> None:
        try:
            self.redis.delete(self.key(product_id))
        except redis.RedisError as exc:
            # A stale entry lives at most ttl_s; say so, since stock shown may be off until then.
            log.warning("cache invalidation failed", extra={"product_id": product_id, "error": str(exc)})
