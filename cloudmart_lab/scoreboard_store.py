"""The scoreboard's history: every verification of every learner, kept in SQLite on the
instructor's machine, so that the board survives a restart of the scoreboard and the workshop can
be replayed, plotted and exported afterwards."""

from __future__ import annotations

import csv
import json
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

SCHEMA = """
CREATE TABLE IF NOT EXISTS verification (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    learner TEXT NOT NULL,
    at TEXT NOT NULL,
    score REAL,
    out_of REAL,
    problem TEXT NOT NULL DEFAULT '',
    learner_view TEXT NOT NULL DEFAULT '{}',
    instructor_view TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS verification_learner ON verification (learner, id);
CREATE TABLE IF NOT EXISTS action (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    learner TEXT NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    scenario TEXT NOT NULL,
    said TEXT NOT NULL
);
"""
CSV_COLUMNS = ("learner", "at", "score", "out_of", "problem")
VERIFICATION_COLUMNS = "learner, at, score, out_of, problem, learner_view, instructor_view"
# later than any time now() writes (times compare as their ISO 8601 text)
LAST = "9999-12-31T23:59:59Z"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Verification:
    """One verification of one learner's cluster: both views of its report, or why there is none
    (the cluster did not answer, the run failed)."""

    learner: str
    at: str
    score: float | None
    out_of: float | None
    problem: str
    learner_view: dict[str, Any]
    instructor_view: dict[str, Any]

    @classmethod
    def scored(cls, learner: str, learner_view: dict[str, Any], instructor_view: dict[str, Any], at: str = "") -> Verification:
        return cls(learner, at or now(), instructor_view["score"], instructor_view["out_of"], "", learner_view, instructor_view)

    @classmethod
    def failed(cls, learner: str, problem: str, at: str = "") -> Verification:
        return cls(learner, at or now(), None, None, problem, {}, {})


@dataclass(frozen=True)
class Action:
    """A hint taken or a scenario given up from a learner's page, with what the play said."""

    learner: str
    at: str
    kind: str
    scenario: str
    said: str


class Store:
    """The history in one SQLite file. The scoreboard's verifier and its web server's threads
    share one connection, one statement at a time."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, verification: Verification) -> None:
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO verification (learner, at, score, out_of, problem, learner_view, instructor_view)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    verification.learner,
                    verification.at,
                    verification.score,
                    verification.out_of,
                    verification.problem,
                    json.dumps(verification.learner_view, ensure_ascii=False),
                    json.dumps(verification.instructor_view, ensure_ascii=False),
                ),
            )

    def add_action(self, action: Action) -> None:
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO action (learner, at, kind, scenario, said) VALUES (?, ?, ?, ?, ?)",
                (action.learner, action.at, action.kind, action.scenario, action.said),
            )

    def latest(self, until: str = LAST) -> dict[str, Verification]:
        """Each learner's last verification that produced a report, or their last failed one when
        none ever did; `until`: of those made by then (a frozen workshop's final)."""
        rows = self._rows(
            f"SELECT {VERIFICATION_COLUMNS} FROM verification WHERE id IN ("
            " SELECT MAX(id) FROM verification WHERE problem = '' AND at <= ? GROUP BY learner"
            " UNION SELECT MAX(id) FROM verification WHERE at <= ? GROUP BY learner HAVING SUM(problem = '') = 0)",
            until,
            until,
        )
        return {row.learner: row for row in map(_verification, rows)}

    def last_problem(self) -> dict[str, Verification]:
        """Each learner whose most recent verification failed to run, with that verification."""
        rows = self._rows(
            f"SELECT {VERIFICATION_COLUMNS} FROM verification"
            " WHERE id IN (SELECT MAX(id) FROM verification GROUP BY learner) AND problem != ''"
        )
        return {row.learner: row for row in map(_verification, rows)}

    def counts(self) -> dict[str, int]:
        """How many times each learner's cluster has been verified."""
        return dict(self._rows("SELECT learner, COUNT(*) FROM verification GROUP BY learner"))

    def scores(self) -> list[tuple[str, str, float]]:
        """(learner, at, score) of every verification that produced a score, oldest first."""
        return [
            (learner, at, float(score))
            for learner, at, score in self._rows("SELECT learner, at, score FROM verification WHERE problem = '' ORDER BY id")
        ]

    def actions(self, learner: str | None = None) -> list[Action]:
        query = "SELECT learner, at, kind, scenario, said FROM action"
        rows = self._rows(query + " WHERE learner = ? ORDER BY id", learner) if learner else self._rows(query + " ORDER BY id")
        return [Action(*row) for row in rows]

    def export_csv(self, out: TextIO, until: str = LAST) -> int:
        """Every verification (made by `until`) as a CSV row (the views stay in the database); the count written."""
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        count = 0
        for row in self._rows(f"SELECT {', '.join(CSV_COLUMNS)} FROM verification WHERE at <= ? ORDER BY id", until):
            writer.writerow(row)
            count += 1
        return count

    def _rows(self, query: str, *params: Any) -> Iterator[tuple[Any, ...]]:
        with self._lock:
            return iter(self._db.execute(query, params).fetchall())


def _verification(row: tuple[Any, ...]) -> Verification:
    learner, at, score, out_of, problem, learner_view, instructor_view = row
    return Verification(learner, at, score, out_of, problem, json.loads(learner_view), json.loads(instructor_view))
