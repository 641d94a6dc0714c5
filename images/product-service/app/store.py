"""The catalog in FerretDB, spoken to over the MongoDB protocol with pymongo.

Products are addressed by their string field `id` ("p-001"); MongoDB's ObjectId `_id` never
leaves this module.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import pymongo
from pymongo import MongoClient, ReturnDocument
from pymongo.errors import DuplicateKeyError

from .locks import ProductLocks

Product = dict[str, Any]

_HIDE_OID = {"_id": False}


class DuplicateProductError(Exception):
    pass


class ProductStore:
    def __init__(self, url: str, db: str, timeout_s: float = 2.0) -> None:
        # Short timeouts: a request must fail fast when FerretDB is gone rather than hang a worker.
        ms = int(timeout_s * 1000)
        self.client: MongoClient = MongoClient(
            url, serverSelectionTimeoutMS=ms, connectTimeoutMS=ms, socketTimeoutMS=ms * 2, appname="product-service"
        )
        self.products = self.client[db]["products"]
        self.locks = ProductLocks(self.client[db]["product_locks"])
        self._indexed = False

    def ensure_index(self) -> None:
        """Unique index on `id`, made once per process (lazily: FerretDB may not be up at start)."""
        if not self._indexed:
            self.products.create_index("id", unique=True, name="id_unique")
            self._indexed = True

    def ping(self, timeout_s: float) -> None:
        # pymongo.timeout bounds server selection too, so /ready answers quickly when FerretDB is down.
        with pymongo.timeout(timeout_s):
            self.client.admin.command("ping")

    def list(self, limit: int = 500) -> list[Product]:
        return list(self.products.find({}, _HIDE_OID).sort("id", 1).limit(limit))

    def get(self, product_id: str) -> Product | None:
        return self.products.find_one({"id": product_id}, _HIDE_OID)

    def create(self, product: Product) -> Product:
        self.ensure_index()
        doc = dict(product)
        if not doc.get("id"):
            doc["id"] = f"p-{uuid.uuid4().hex[:12]}"
        try:
            self.products.insert_one(doc)  # insert_one adds `_id` to doc
        except DuplicateKeyError as exc:
            raise DuplicateProductError(doc["id"]) from exc
        doc.pop("_id", None)
        return doc

    def insert_missing(self, products: Iterable[Product]) -> int:
        """Insert the products whose `id` is not there yet; existing ones are left exactly as they are.

        $setOnInsert only writes on the upsert's insert, so a product's stock taken by reservations is
        never reset; the unique index makes a concurrent seed by a second replica a harmless no-op.
        Returns how many were inserted.
        """
        self.ensure_index()
        inserted = 0
        for product in products:
            try:
                result = self.products.update_one({"id": product["id"]}, {"$setOnInsert": dict(product)}, upsert=True)
            except DuplicateKeyError:
                continue  # another replica inserted it between our match and our insert
            inserted += result.upserted_id is not None
        return inserted

    def reserve(self, product_id: str, quantity: int) -> tuple[Product | None, int | None]:
        """Take `quantity` off the stock, never below zero, with no reservation lost to a concurrent one.

        The filter only matches while stock >= quantity; the product lock makes the read and the write
        that FerretDB does for it one step (see locks.py). Returns (product after the update, None) on
        success, or (None, available stock) when short, or (None, None) when there is no such product.
        Raises LockBusyError when another reservation of the product holds it for too long.
        """
        with self.locks.hold(product_id):
            # No projection: FerretDB 1.24 answers findAndModify's `fields` with NotImplemented.
            doc = self.products.find_one_and_update(
                {"id": product_id, "stock": {"$gte": quantity}},
                {"$inc": {"stock": -quantity}},
                return_document=ReturnDocument.AFTER,
            )
            if doc is not None:
                doc.pop("_id", None)
                return doc, None
            current = self.products.find_one({"id": product_id}, {"_id": False, "stock": True})
        if current is None:
            return None, None
        return None, int(current.get("stock", 0))
