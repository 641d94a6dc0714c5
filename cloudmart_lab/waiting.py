"""Waiting for something the cluster does on its own time, for the tests of the lab and of its roles."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def eventually(
    check: Callable[[], T],
    *,
    timeout: float,
    what: str,
    interval: float = 2.0,
    tolerate: tuple[type[BaseException], ...] = (OSError, AssertionError),
) -> T:
    """Call check until it returns a truthy value (returned) or the timeout passes (AssertionError
    naming what never happened and the last answer). An exception of `tolerate` counts as a falsy
    answer: the thing asked may not be there yet."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = check()
            if last:
                return last
        except tolerate as err:
            last = err
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f}s (last: {last!r})")
        time.sleep(interval)
