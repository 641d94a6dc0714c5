"""Entry point: `python -m app`. Configuration comes from the environment only."""

import logging
import os
import signal
from types import FrameType


def _leave_now(signum: int, frame: FrameType | None) -> None:
    # Still starting (mostly importing C extensions): nothing to close yet, so leave at once with
    # status 0 wherever the signal lands, instead of raising into the import under way.
    os._exit(0)


def _exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main() -> None:
    # As PID 1 in a container, a signal without a handler is ignored: SIGTERM must stop the process from
    # its first moment, before uvicorn installs its own handler (and after, when uvicorn hands the signal
    # back to this one). Hence this handler first, and the slow imports (FastAPI, pymongo...) after it.
    signal.signal(signal.SIGTERM, _leave_now)

    import uvicorn

    from .cache import ProductCache
    from .main import create_app
    from .observability import setup_logging
    from .seed import start_seeding
    from .store import ProductStore

    env = os.environ.get
    setup_logging(env("LOG_LEVEL", "INFO"))
    mongo_db = env("MONGO_DB", "catalog")
    store = ProductStore(env("MONGO_URL", "mongodb://localhost:27017"), mongo_db)
    cache = ProductCache(
        env("REDIS_HOST", "localhost"),
        int(env("REDIS_PORT", "6379")),
        ttl_s=int(env("CACHE_TTL_SECONDS", "60")),
        cluster=env("REDIS_CLUSTER", "false").lower() in ("1", "true", "yes"),
    )
    if env("SEED_DEMO_DATA", "false").lower() in ("1", "true", "yes"):
        start_seeding(store)
    app = create_app(store, cache)
    port = int(env("PORT", "8080"))
    logging.getLogger("main").info("starting", extra={"port": port, "mongo_db": mongo_db})
    signal.signal(signal.SIGTERM, _exit)
    # uvicorn stops gracefully on SIGTERM; the graceful shutdown timeout keeps the whole stop within the
    # contract's 10 s.
    uvicorn.run(
        app, host="0.0.0.0", port=port, log_config=None, access_log=False, timeout_graceful_shutdown=5, server_header=False
    )


if __name__ == "__main__":
    main()
