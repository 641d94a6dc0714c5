"""The lab's playbooks run for one learner of a workshop: verify (both views of the report, for the
scoreboard), a hint and giving up (the buttons of the learner's page). A learner's cluster is
reached as its placement says: on one server, through the learner's own settings and state folder
(workshop_settings.environment); on hosts, through the room's inventory limited to their group."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from cloudmart_lab import workshop, workshop_settings
from cloudmart_lab.errors import LabError
from cloudmart_lab.progress import format_seconds
from cloudmart_lab.runner import PlaybookRun, run_playbook
from cloudmart_lab.scoreboard_store import Action, Verification, now
from cloudmart_lab.workshop import Workshop

SINGLE_LAB_INVENTORY = "inventory/vagrant.yml"
ACTIONS = {"hint": "hint.yml", "giveup": "giveup.yml"}
# The lab's playbooks an instructor runs for the room (`workshop run`).
PLAYBOOKS = (
    "site.yml",
    "break.yml",
    "challenge.yml",
    "verify.yml",
    "hint.yml",
    "giveup.yml",
    "statement.yml",
    "solve.yml",
    "reset.yml",
)
# Those that break: each learner's own lab_seed picks their variant of every fault.
SEEDED = ("break.yml", "challenge.yml")


@dataclass(frozen=True)
class Learner:
    """How the playbooks reach one learner's cluster."""

    name: str
    # the learner's records on this machine: kubeconfig, the break's and the challenge's records
    state: Path
    inventory: str
    limit: str | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def challenge_file(self) -> Path:
        return self.state / "challenge.json"


def learners_of(room: Workshop, hosts_inventory: Path | None = None) -> list[Learner]:
    """Every learner of the room, in the workshop file's order."""
    if room.placement == "one-server":
        return [
            Learner(c.learner, c.state_folder, SINGLE_LAB_INVENTORY, env=workshop_settings.environment(c)) for c in room.clusters
        ]
    inventory = str(hosts_inventory or "inventory/workshop.yml")
    return [Learner(c.learner, c.state_folder, inventory, limit=f"cluster_{c.learner}") for c in room.clusters]


@dataclass(frozen=True)
class RoomRun:
    """One learner's run of a playbook for the room."""

    learner: str
    run: PlaybookRun
    log: Path

    @property
    def ok(self) -> bool:
        return self.run.ok


def run_for_room(
    learners: Sequence[Learner],
    playbook: str,
    extravars: dict[str, Any],
    seeds: dict[str, str],
    parallel: int,
    say: Callable[[str], None],
) -> list[RoomRun]:
    """The playbook for each learner, `parallel` at a time, each one's output in a log in their
    folder; a learner whose run fails (a cluster refused as unhealthy, say) holds nobody else up."""
    if playbook not in PLAYBOOKS:
        raise LabError(f"{playbook} is not one of the lab's playbooks a room runs: {', '.join(PLAYBOOKS)}")
    if parallel < 1:
        raise LabError(f"--parallel {parallel}: run at least one learner's playbook at a time")

    def one(learner: Learner) -> RoomRun:
        log = learner.state / f"{Path(playbook).stem}.log"
        seeded = {"lab_seed": seeds[learner.name]} if playbook in SEEDED else {}
        learner.state.mkdir(parents=True, exist_ok=True)
        with log.open("w", encoding="utf-8") as out:
            run = play(learner, playbook, {**extravars, **seeded}, out)
        outcome = RoomRun(learner.name, run, log)
        say(
            f"{learner.name}: {playbook} "
            + ("done" if outcome.ok else f"failed: {why(outcome)}")
            + f" in {format_seconds(run.seconds)}"
        )
        return outcome

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        return list(pool.map(one, learners))


def why(outcome: RoomRun) -> str:
    return _refusal(outcome.run.failures[0]) if outcome.run.failures else f"ended {outcome.run.status} (see {outcome.log})"


def room_summary(outcomes: Sequence[RoomRun]) -> list[str]:
    """One line per learner, then the count."""
    width = max((len(outcome.learner) for outcome in outcomes), default=0)
    lines = [
        f"  {o.learner:<{width}}  {format_seconds(o.run.seconds):>7}  " + ("done" if o.ok else f"failed: {why(o)} (log: {o.log})")
        for o in outcomes
    ]
    failed = sum(not outcome.ok for outcome in outcomes)
    lines.append(f"{len(outcomes) - failed} of {len(outcomes)} learners done")
    return lines


def selected(room: Workshop, learners: Sequence[Learner], names: Sequence[str]) -> list[Learner]:
    """These learners (all when none is named), in the workshop's order; an unknown name refused."""
    workshop.check_learners(room, names)
    return [learner for learner in learners if not names or learner.name in names]


def extra_vars(pairs: Sequence[str]) -> dict[str, Any]:
    """-e KEY=VALUE pairs; a value in JSON (a number, a list, a mapping) is taken as such."""
    found: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.isidentifier():
            raise LabError(f"-e {pair}: give extra variables as KEY=VALUE")
        try:
            found[key] = json.loads(value) if value[:1] in "[{0123456789-" or value in ("true", "false") else value
        except ValueError:
            found[key] = value
    return found


def play(learner: Learner, playbook: str, extravars: dict[str, Any], log: TextIO) -> PlaybookRun:
    return run_playbook(playbook, inventory=learner.inventory, limit=learner.limit, extravars=extravars, env=learner.env, out=log)


def verify(learner: Learner, language: str, log: TextIO) -> Verification:
    """One verification of the learner's cluster as the learner would run it (it moves a challenge
    under way on), with the instructor's view written beside the learner's."""
    with tempfile.TemporaryDirectory(prefix=f"scoreboard-{learner.name}-") as folder:
        reports = {audience: Path(folder) / audience for audience in ("learner", "instructor")}
        run = play(
            learner,
            "verify.yml",
            {
                "verify_report_dir": str(reports["learner"]),
                "verify_instructor_dir": str(reports["instructor"]),
                "verify_show_report": False,
                "verify_fail_on_findings": False,
                "lab_language": language,
            },
            log,
        )
        views = {audience: _report(path / "verify.json") for audience, path in reports.items()}
    if not run.ok or views["learner"] is None or views["instructor"] is None:
        problem = run.failures[0] if run.failures else f"verify.yml ended {run.status} (exit {run.rc}) without a report"
        return Verification.failed(learner.name, problem)
    return Verification.scored(learner.name, views["learner"], views["instructor"])


def act(learner: Learner, kind: str, scenario: str, language: str, log: TextIO) -> Action:
    """A hint or giving up, as the learner's page asks; what the play said to the learner, or its
    one-line refusal (an unknown scenario, one already repaired...)."""
    run = play(learner, ACTIONS[kind], {"scenario": scenario, "lab_language": language}, log)
    said = "\n".join(run.messages) if run.ok else "\n".join(_refusal(line) for line in run.failures) or run.status
    return Action(learner.name, now(), kind, scenario, said)


def _report(path: Path) -> dict[str, Any] | None:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def _refusal(failure: str) -> str:
    """A failure as the learner reads it: the play's message, without the host and task names."""
    return failure.split(": ", 2)[-1]
