"""One JSON object per line on stdout, as the platform contract asks ({"ts","level","service","msg",...})."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

SERVICE = "notification-service"

# Attributes every LogRecord has; anything else was passed with extra={...} and goes into the line.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": SERVICE,
            "msg": record.getMessage(),
            "logger": record.name,
        }
        # Celery adds its own attributes (data, ...) to some records; keep only JSON-friendly extras.
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD and k != "data"})
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Python's warnings (Celery's deprecation notices) become log records too, instead of stderr text.
    logging.captureWarnings(True)
