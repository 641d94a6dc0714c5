"""Every learner's cluster on one server, brought up side by side: each learner's settings.yml is
written (workshop_settings.py), `python -m cloudmart_lab prepare` runs once in the first learner's
environment, so that the bundles and node images are made (or found in the cache) once, then
`python -m cloudmart_lab up` runs once per learner with that learner's environment, a few at a
time, each one's output in a log in the learner's folder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cloudmart_lab import settings, workshop, workshop_settings
from cloudmart_lab.errors import LabError
from cloudmart_lab.paths import REPO
from cloudmart_lab.progress import format_seconds
from cloudmart_lab.workshop import LearnerCluster, Workshop

LOG_NAME = "up.log"
PREPARE_LOG = "prepare.log"


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
    workshop.check_learners(room, learners)
    return tuple(cluster for cluster in room.clusters if not learners or cluster.learner in learners)


def bring_up(
    room: Workshop, lab: settings.Settings, clusters: Sequence[LearnerCluster], parallel: int, say: Callable[[str], None]
) -> list[Outcome]:
    """Prepare once (bundles, node images: built the first time, reused after), then bring up these
    learners' clusters `parallel` at a time; one Outcome each."""
    if parallel < 1:
        raise LabError(f"--parallel {parallel}: bring up at least one cluster at a time")
    for cluster in clusters:
        workshop_settings.write(cluster, room, lab)
    if not clusters:
        return []
    first = clusters[0]
    log = first.state_folder / PREPARE_LOG
    say(f"preparing the bundles and node images once, in {first.learner}'s folder (log: {log})")
    began = time.monotonic()
    code = run_for(first, "prepare", log)
    if code != 0:
        say(f"preparing failed (exit {code}): no cluster was brought up")
        return [Outcome(cluster.learner, code, 0.0, log) for cluster in clusters]
    say(f"prepared in {format_seconds(time.monotonic() - began)}")
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        return list(pool.map(lambda cluster: _up(cluster, say), clusters))


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
