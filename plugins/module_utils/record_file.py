# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""The lab's JSON records on the controller (the learner's attempt, the challenge's clock): read,
written whole and readable by their owner only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class RecordError(ValueError):
    """A record file that is not one; the message is one line for a person."""


def read(path: Path, what: str) -> Any:
    """The record's content, or None when there is no such file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return json.loads(text)
    except ValueError as err:
        raise RecordError(f"{path} is not {what} (not JSON: {err}); remove it to start afresh") from err


def dump(record: Any) -> str:
    return json.dumps(record, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write(path: Path, record: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(record), encoding="utf-8")
    path.chmod(0o600)
