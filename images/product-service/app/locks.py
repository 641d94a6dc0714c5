"""A per-product mutex for stock changes, shared by every thread and every replica.

FerretDB 1.24 runs findAndModify as a read followed by a write of the whole document (FerretDB
issue #2168), so two reservations running at once can both pass the `stock >= quantity` filter and
one decrement is lost: stock is oversold. The lock is a document whose `_id` is the product id:
inserting it succeeds for one holder only, since `_id` is unique in the backend itself (SQLite or
PostgreSQL). A lease lets a lock left behind by a crashed replica be taken over.
"""

from __future__ import annotations

import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

# Threads of this process queue on a local stripe first, so they do not poll the database for a
# lock their own neighbour holds; a fixed number of stripes keeps memory bounded whatever ids arrive.
_STRIPES = 64


class LockBusyError(Exception):
    """The product stayed locked by someone else for longer than the caller would wait."""


class ProductLocks:
    def __init__(self, collection: Collection, lease_s: float = 10.0, wait_s: float = 2.0, poll_s: float = 0.01) -> None:
        # The lease outlasts the store's socket timeouts (two operations of at most 4 s each), so a live
        # holder is never taken over.
        self.collection = collection
        self.lease_s = lease_s
        self.wait_s = wait_s
        self.poll_s = poll_s
        self._stripes = [threading.Lock() for _ in range(_STRIPES)]

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        stripe = self._stripes[zlib.crc32(key.encode()) % _STRIPES]
        if not stripe.acquire(timeout=self.wait_s):
            raise LockBusyError(key)
        try:
            token = self._acquire(key)
            try:
                yield
            finally:
                self.collection.delete_one({"_id": key, "owner": token})
        finally:
            stripe.release()

    def _acquire(self, key: str) -> str:
        token = uuid.uuid4().hex
        deadline = time.monotonic() + self.wait_s
        while True:
            now = time.time()
            try:
                self.collection.insert_one({"_id": key, "owner": token, "until": now + self.lease_s})
                return token
            except DuplicateKeyError:
                pass
            # Only a lease that ran out is removed: its holder is gone.
            if self.collection.delete_one({"_id": key, "until": {"$lt": now}}).deleted_count:
                continue
            if time.monotonic() >= deadline:
                raise LockBusyError(key)
            time.sleep(self.poll_s)
