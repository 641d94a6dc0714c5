"""Entry point: `python -m notification` starts the HTTP side, then the Celery worker in this process."""

import logging
import os
import signal
import sys
from types import FrameType
from typing import Any


def _exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def _keep_our_logging(**kwargs: Any) -> None:
    # A receiver on Celery's setup_logging signal tells Celery not to configure logging itself.
    pass


def main() -> None:
    # As PID 1 in a container, a signal without a handler is ignored: SIGTERM must stop the process from
    # its first moment, not only once Celery has installed its warm-shutdown handler when the worker
    # starts. Hence this handler first, and the slow imports (Celery, kombu) after it.
    signal.signal(signal.SIGTERM, _exit)

    from celery.signals import setup_logging as celery_setup_logging

    from .http import serve
    from .logs import setup_logging
    from .readiness import broker_check
    from .worker import make_app

    celery_setup_logging.connect(_keep_our_logging)
    level = os.environ.get("LOG_LEVEL", "INFO")
    setup_logging(level)
    amqp_url = os.environ.get("AMQP_URL", "amqp://guest:guest@localhost:5672//")
    port = int(os.environ.get("PORT", "8080"))
    serve(port, broker_check(amqp_url))
    logging.getLogger("main").info("http listening", extra={"port": port})
    app = make_app(amqp_url)
    # solo pool: messages are handled in the consumer's own loop, so no child processes are needed;
    # gossip/mingle/heartbeat events would only add exchanges and traffic for a single worker.
    # --quiet: no ASCII-art banner on stdout, whose lines would not be JSON.
    argv = ["--quiet", "worker", "--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    sys.exit(app.start([*argv, f"--loglevel={level}"]) or 0)


if __name__ == "__main__":
    main()
