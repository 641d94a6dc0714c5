"""Progress lines with elapsed time for long steps, and a closing summary."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


def format_seconds(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


@dataclass
class Progress:
    """Numbered steps, each timed; `summary()` lists them with the total."""

    title: str
    total: int = 0
    out = sys.stderr
    # each step: its name, when it began by the wall clock (a Kubernetes timestamp is compared with
    # it), the seconds it took and how it ended
    _steps: list[tuple[str, float, float, str]] = field(default_factory=list)
    _started: float = field(default_factory=time.monotonic)
    began: float = field(default_factory=time.time)

    def say(self, message: str) -> None:
        elapsed = format_seconds(time.monotonic() - self._started)
        print(f"[{self.title} {elapsed}] {message}", file=self.out, flush=True)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        number = len(self._steps) + 1
        counter = f"{number}/{self.total}" if self.total else str(number)
        self.say(f"({counter}) {name} ...")
        wall_clock = time.time()
        began = time.monotonic()
        outcome = "failed"
        try:
            yield
            outcome = "done"
        finally:
            took = time.monotonic() - began
            self._steps.append((name, wall_clock, took, outcome))
            self.say(f"({counter}) {name}: {outcome} in {format_seconds(took)}")

    def skip(self, name: str, reason: str) -> None:
        self._steps.append((name, time.time(), 0.0, reason))
        self.say(f"{name}: {reason}")

    def summary(self) -> str:
        width = max((len(name) for name, *_ in self._steps), default=0)
        lines = [f"{self.title}: {len(self._steps)} steps in {format_seconds(time.monotonic() - self._started)}"]
        lines += [f"  {name:<{width}}  {format_seconds(took):>7}  {outcome}" for name, _, took, outcome in self._steps]
        return "\n".join(lines)

    def record(self) -> dict[str, object]:
        """The steps as data: when the run and each step began (seconds since the epoch), how long
        each took and how it ended."""
        steps = [
            {"name": name, "began": began, "seconds": round(took, 3), "outcome": outcome}
            for name, began, took, outcome in self._steps
        ]
        return {"began": self.began, "steps": steps}
