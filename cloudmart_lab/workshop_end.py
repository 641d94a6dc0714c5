"""Ending a workshop: `workshop freeze` stops the scores where they stand (the scoreboard verifies
no more and its buttons are refused) and writes the final table, the history as CSV and each
learner's last report, both views, with their record of hints, giving up and statements;
`workshop down` removes every learner's cluster on one server, their records kept."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudmart_lab import workshop_up
from cloudmart_lab.errors import LabError
from cloudmart_lab.scoreboard_pages import ranked
from cloudmart_lab.scoreboard_store import Store, Verification, now
from cloudmart_lab.workshop import LearnerCluster, Workshop
from cloudmart_lab.workshop_secrets import folder

FROZEN_NAME = "frozen.json"
FINAL_FOLDER = "final"
HISTORY_NAME = "scoreboard.sqlite"


def frozen_at(where: Path | None = None) -> str | None:
    """When the workshop's scores were frozen, or None while it goes on."""
    try:
        return str(json.loads(((where or folder()) / FROZEN_NAME).read_text())["at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class Final:
    folder: Path
    at: str
    table: list[str]


def freeze(room: Workshop, learner_folders: dict[str, Path], where: Path | None = None) -> Final:
    """Freeze the scores (once: a second freeze writes the same final from the same moment)."""
    base = where or folder()
    history = base / HISTORY_NAME
    if not history.is_file():
        raise LabError(f"no scoreboard history in {history}: run `workshop scoreboard` during the workshop first")
    at = frozen_at(base)
    if at is None:
        at = now()
        (base / FROZEN_NAME).write_text(json.dumps({"at": at}) + "\n")
    store = Store(history)
    try:
        latest = {name: v for name, v in store.latest(until=at).items() if name in room.learners}
        final = base / FINAL_FOLDER
        draft = base / f".{FINAL_FOLDER}.draft"
        shutil.rmtree(draft, ignore_errors=True)
        draft.mkdir(mode=0o700, parents=True)
        with (draft / "history.csv").open("w", newline="", encoding="utf-8") as out:
            store.export_csv(out, until=at)
        table = final_table(latest, room.learners, at)
        (draft / "scores.md").write_text("\n".join(table) + "\n", encoding="utf-8")
        for name in room.learners:
            _keep_learner(draft / name, latest.get(name), learner_folders.get(name))
    finally:
        store.close()
    shutil.rmtree(final, ignore_errors=True)
    draft.rename(final)
    return Final(final, at, table)


def final_table(latest: dict[str, Verification], learners: Sequence[str], at: str) -> list[str]:
    """The final ranks as a Markdown table: points, each scenario's level and the hints' cost."""
    scenarios = list(dict.fromkeys(row["name"] for v in latest.values() for row in v.instructor_view.get("scenarios", [])))
    lines = [
        f"# Final scores (frozen {at})",
        "",
        "| rank | learner | points | " + " | ".join(scenarios) + (" | " if scenarios else "") + "hints |",
        "|---:|---|---:|" + "---|" * len(scenarios) + "---:|",
    ]
    for rank, name, score in ranked(latest, learners):
        last = latest.get(name)
        rows = {row["name"]: row for row in (last.instructor_view.get("scenarios", []) if last else [])}
        levels = [_level(rows.get(scenario)) for scenario in scenarios]
        cost = sum(float(row.get("hint_cost") or 0) for row in rows.values())
        points = "-" if last is None or last.score is None else f"{score:g} / {last.out_of:g}"
        lines.append(f"| {rank} | {name} | {points} | " + " | ".join(levels) + (" | " if levels else "") + f"{cost:g} |")
    return lines


def _level(row: dict[str, Any] | None) -> str:
    if row is None:
        return "-"
    level = str(row.get("level") or "none")
    return f"{level} (given up)" if row.get("given_up") else level


def _keep_learner(target: Path, last: Verification | None, state: Path | None) -> None:
    target.mkdir(parents=True)
    if last is not None and last.instructor_view:
        for audience, view in (("learner", last.learner_view), ("instructor", last.instructor_view)):
            (target / f"verify-{audience}.json").write_text(json.dumps(view, indent=2, ensure_ascii=False) + "\n")
    if state is not None:
        # hints taken, scenarios given up, statements, and the challenge's clocks
        for record in ("attempt.json", "challenge.json"):
            if (state / record).is_file():
                shutil.copyfile(state / record, target / record)


@dataclass(frozen=True)
class Removed:
    learner: str
    code: int

    @property
    def ok(self) -> bool:
        return self.code == 0


def down(clusters: Sequence[LearnerCluster], say: Callable[[str], None]) -> list[Removed]:
    """Remove these learners' node containers, one after the other, with the lab's own destroy;
    their folders (records, reports, kubeconfig) stay for the instructor."""
    removed = []
    for cluster in clusters:
        log = cluster.state_folder / "down.log"
        code = workshop_up.run_for(cluster, "destroy", log)
        removed.append(Removed(cluster.learner, code))
        say(f"{cluster.learner}: " + ("removed" if code == 0 else f"failed (exit {code}), see {log}"))
    return removed
