"""HTTP API of product-service, as images/PLATFORM.md describes it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from pymongo.errors import PyMongoError

from .cache import ProductCache
from .locks import LockBusyError
from .observability import MetricsMiddleware
from .store import DuplicateProductError, Product, ProductStore

log = logging.getLogger("api")

# Kubernetes' default probe timeout is 1 s: each dependency check gets less than that, in parallel.
READY_CHECK_TIMEOUT_S = 0.8


class ProductIn(BaseModel):
    id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,64}$")
    name: str = Field(min_length=1, max_length=200)
    price: float = Field(ge=0)
    stock: int = Field(default=0, ge=0)
    category: str = Field(default="", max_length=100)
    description: str = Field(default="", max_length=2000)


class ReserveIn(BaseModel):
    quantity: int = Field(ge=1)


async def _check(fn: Callable[[], Any]) -> str:
    try:
        await asyncio.wait_for(asyncio.to_thread(fn), READY_CHECK_TIMEOUT_S + 0.1)
        return "ok"
    except Exception as exc:  # any failure means not ready; say which
        return f"failed: {type(exc).__name__}: {exc}"[:200]


def create_app(store: ProductStore, cache: ProductCache) -> FastAPI:
    app = FastAPI(title="product-service", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(MetricsMiddleware)

    @app.exception_handler(PyMongoError)
    async def database_down(request: Request, exc: PyMongoError) -> JSONResponse:
        log.error("database error", extra={"path": request.url.path, "error": str(exc)[:300]})
        return JSONResponse({"detail": "catalog database unavailable"}, status_code=503)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready")
    async def ready() -> Any:
        mongo, redis_ = await asyncio.gather(_check(lambda: store.ping(READY_CHECK_TIMEOUT_S)), _check(cache.ping))
        checks = {"mongodb": mongo, "redis": redis_}
        if all(v == "ok" for v in checks.values()):
            return {"status": "ready", "checks": checks}
        return JSONResponse({"status": "not ready", "checks": checks}, status_code=503)

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/products")
    def list_products() -> list[Product]:
        return store.list()

    @app.get("/products/{id}")
    def get_product(id: str) -> Product:
        product = cache.get(id)
        if product is None:
            product = store.get(id)
            if product is None:
                raise HTTPException(404, "product not found")
            cache.put(product)
        return product

    @app.post("/products", status_code=201)
    def create_product(body: ProductIn) -> Product:
        try:
            product = store.create(body.model_dump())
        except DuplicateProductError:
            raise HTTPException(409, f"product {body.id} exists") from None
        cache.invalidate(product["id"])
        log.info("product created", extra={"product_id": product["id"]})
        return product

    @app.post("/products/{id}/reserve")
    def reserve(id: str, body: ReserveIn) -> Any:
        try:
            product, available = store.reserve(id, body.quantity)
        except LockBusyError:
            log.warning("reservation refused: product busy", extra={"product_id": id, "quantity": body.quantity})
            return JSONResponse({"detail": "product busy, retry", "id": id}, status_code=503, headers={"Retry-After": "1"})
        if product is None:
            if available is None:
                raise HTTPException(404, "product not found")
            log.info(
                "reservation refused: stock short", extra={"product_id": id, "quantity": body.quantity, "available": available}
            )
            return JSONResponse({"detail": "insufficient stock", "id": id, "available": available}, status_code=409)
        cache.invalidate(id)
        log.info("reserved", extra={"product_id": id, "quantity": body.quantity, "stock": product.get("stock")})
        return {"id": id, "price": product["price"], "reserved": body.quantity}

    return app
