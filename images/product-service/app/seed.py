"""The demo catalogue, written at start when SEED_DEMO_DATA=true.

Seeding runs in a background thread and retries until FerretDB answers, so the process starts (and
reports not-ready) even while the database is still coming up. Existing products are never touched.
"""

from __future__ import annotations

import logging
import threading
import time

from pymongo.errors import PyMongoError

from .store import Product, ProductStore

log = logging.getLogger("seed")

DEMO_CATALOGUE: list[Product] = [
    {"id": "p-001", "name": "Espresso Cup", "price": 8.5, "stock": 120, "category": "kitchen",
     "description": "Porcelain cup for a single shot, 80 ml."},
    {"id": "p-002", "name": "French Press", "price": 34.0, "stock": 40, "category": "kitchen",
     "description": "Glass and steel coffee press, 1 litre."},
    {"id": "p-003", "name": "Chef's Knife", "price": 59.9, "stock": 25, "category": "kitchen",
     "description": "20 cm forged steel blade."},
    {"id": "p-004", "name": "Desk Lamp", "price": 42.0, "stock": 60, "category": "home",
     "description": "LED lamp with an adjustable arm and warm light."},
    {"id": "p-005", "name": "Wool Blanket", "price": 79.0, "stock": 30, "category": "home",
     "description": "Merino wool throw, 130 x 170 cm."},
    {"id": "p-006", "name": "Scented Candle", "price": 15.5, "stock": 200, "category": "home",
     "description": "Soy wax candle, cedar and vanilla, 40 h."},
    {"id": "p-007", "name": "Wireless Mouse", "price": 24.99, "stock": 150, "category": "electronics",
     "description": "Silent-click mouse, USB receiver, two AA batteries."},
    {"id": "p-008", "name": "Mechanical Keyboard", "price": 89.0, "stock": 45, "category": "electronics",
     "description": "Tenkeyless keyboard with brown switches."},
    {"id": "p-009", "name": "USB-C Charger", "price": 29.0, "stock": 300, "category": "electronics",
     "description": "65 W charger with two USB-C ports."},
    {"id": "p-010", "name": "Running Shoes", "price": 119.0, "stock": 35, "category": "sports",
     "description": "Light road shoes with a cushioned sole."},
    {"id": "p-011", "name": "Yoga Mat", "price": 32.0, "stock": 80, "category": "sports",
     "description": "Non-slip mat, 6 mm thick."},
    {"id": "p-012", "name": "Water Bottle", "price": 18.0, "stock": 250, "category": "sports",
     "description": "Insulated steel bottle, 750 ml."},
]  # fmt: skip


def _seed_until_done(store: ProductStore, retry_s: float) -> None:
    attempt = 0
    while True:
        attempt += 1
        try:
            inserted = store.insert_missing(DEMO_CATALOGUE)
        except PyMongoError as exc:
            log.warning("demo catalogue not seeded yet, retrying", extra={"attempt": attempt, "error": str(exc)[:300]})
            time.sleep(retry_s)
            continue
        log.info("demo catalogue seeded", extra={"inserted": inserted, "products": len(DEMO_CATALOGUE)})
        return


def start_seeding(store: ProductStore, retry_s: float = 3.0) -> threading.Thread:
    # A daemon thread: SIGTERM during a retry ends the process without waiting for it.
    thread = threading.Thread(target=_seed_until_done, args=(store, retry_s), name="seed", daemon=True)
    thread.start()
    return thread
