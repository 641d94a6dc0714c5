"""Every learner's cluster on one server, brought up side by side: each learner's settings.yml is
written (workshop_settings.py), then `python -m cloudmart_lab up` runs once per learner with that
learner's environment, a few at a time, each one's output in a log in the learner's folder. The
first learner goes alone, so that the bundles and node images are made once before the others
find them in the cache."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cloudmart_lab import settings, workshop_settings
from cloudmart_lab.errors import LabError
from cloudmart_lab.paths import REPO
from cloudmart_lab.progress import format_seconds
from cloudmart_lab.workshop import LearnerCluster, Workshop

LOG_NAME = "up.log"


@dataclass(frozen=True)
class Outcome:
    learner: str
    code: int
    seconds: float
    log: Path

    @property
    def ok(self) -> bool:
        return self.code == 0


def command(action: str = "up") -> list[str]:
    """The single lab's own command (up, destroy), run in a learner's environment."""
    return [sys.executable, "-m", "cloudmart_lab", action]


def run_for(cluster: LearnerCluster, action: str, log: Path) -> int:
    """The lab's own command for this learner's cluster alone, its output in `log`; its exit code."""
    cluster.state_folder.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        return subprocess.run(
            command(action),
            cwd=REPO,
            env=os.environ | workshop_settings.environment(cluster),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        ).returncode


def chosen(room: Workshop, learners: Sequence[str]) -> tuple[LearnerCluster, ...]:
    """The clusters of these learners (all of them when none is named), in the workshop's order."""
    if room.placement != "one-server":
        raise LabError(f"{room.source}: the learners' nodes are the room's hosts, not containers; use its inventory")
    unknown = [name for name in learners if name not in room.learners]
    if unknown:
        raise LabError(f"{unknown[0]} is not a learner of {room.source}; its learners are {', '.join(room.learners)}")
    return tuple(cluster for cluster in room.clusters if not learners or cluster.learner in learners)


def bring_up(
    room: Workshop, lab: settings.Settings, clusters: Sequence[LearnerCluster], parallel: int, say: Callable[[str], None]
) -> list[Outcome]:
    """Bring up these learners' clusters, `parallel` at a time after the first; one Outcome each."""
    if parallel < 1:
        raise LabError(f"--parallel {parallel}: bring up at least one cluster at a time")
    for cluster in clusters:
        workshop_settings.write(cluster, room, lab)
    if not clusters:
        return []
    first, rest = clusters[0], clusters[1:]
    outcomes = [_up(first, say)]
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        outcomes += list(pool.map(lambda cluster: _up(cluster, say), rest))
    return outcomes


def _up(cluster: LearnerCluster, say: Callable[[str], None]) -> Outcome:
    log = cluster.state_folder / LOG_NAME
    say(f"{cluster.learner}: bringing up {', '.join(node.name for node in cluster.nodes)} (log: {log})")
    began = time.monotonic()
    code = run_for(cluster, "up", log)
    outcome = Outcome(cluster.learner, code, time.monotonic() - began, log)
    say(f"{cluster.learner}: {'up' if outcome.ok else f'failed (exit {outcome.code})'} in {format_seconds(outcome.seconds)}")
    return outcome


def summary(outcomes: Sequence[Outcome]) -> list[str]:
    """One line per learner, then the count; a failed learner's line names the log that says why."""
    width = max((len(outcome.learner) for outcome in outcomes), default=0)
    lines = [
        f"  {outcome.learner:<{width}}  {format_seconds(outcome.seconds):>7}  "
        + ("up" if outcome.ok else f"failed, see {outcome.log}")
        for outcome in outcomes
    ]
    failed = sum(not outcome.ok for outcome in outcomes)
    lines.append(f"{len(outcomes) - failed} of {len(outcomes)} learners' clusters up")
    return lines
