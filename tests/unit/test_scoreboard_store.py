"""The scoreboard's history in SQLite: each learner's latest verification, the failed runs beside
it, the counts, the scores over time, the actions and the CSV export, kept across a restart."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from cloudmart_lab.scoreboard_store import Action, Store, Verification


def view(score: float) -> dict[str, object]:
    return {"score": score, "out_of": 100, "scenarios": []}


def test_the_latest_verification_of_each_learner_and_the_failed_runs_beside_it(tmp_path: Path):
    store = Store(tmp_path / "scoreboard.sqlite")
    store.add(Verification.scored("ann", view(10), view(10), at="2026-12-05T10:00:00Z"))
    store.add(Verification.scored("ben", view(30), view(30), at="2026-12-05T10:00:05Z"))
    store.add(Verification.scored("ann", view(55), view(55), at="2026-12-05T10:01:00Z"))
    store.add(Verification.failed("ben", "ben-cp does not answer over SSH", at="2026-12-05T10:01:05Z"))
    store.add(Verification.failed("cat", "verify.yml ended failed (exit 2) without a report", at="2026-12-05T10:01:09Z"))

    latest = store.latest()
    assert {name: v.score for name, v in latest.items()} == {"ann": 55, "ben": 30, "cat": None}
    assert latest["cat"].problem.startswith("verify.yml ended failed")
    assert set(store.last_problem()) == {"ben", "cat"}, "ben's last run failed, ann's did not"
    assert store.counts() == {"ann": 2, "ben": 2, "cat": 1}
    assert store.scores() == [
        ("ann", "2026-12-05T10:00:00Z", 10.0),
        ("ben", "2026-12-05T10:00:05Z", 30.0),
        ("ann", "2026-12-05T10:01:00Z", 55.0),
    ]

    store.add(Verification.scored("ben", view(35), view(35), at="2026-12-05T10:02:00Z"))
    assert "ben" not in store.last_problem() and store.latest()["ben"].score == 35


def test_the_history_outlives_the_scoreboard_and_exports_as_csv(tmp_path: Path):
    path = tmp_path / "scoreboard.sqlite"
    store = Store(path)
    store.add(Verification.scored("ann", view(12.5), {"score": 12.5, "out_of": 100, "checks": [{"x": "한국어"}]}))
    store.add_action(Action("ann", "2026-12-05T10:03:00Z", "hint", "networking", "Hint 1 of 3 for networking: ..."))
    store.close()

    again = Store(path)
    assert again.latest()["ann"].instructor_view["checks"] == [{"x": "한국어"}]
    assert again.actions("ann") == [
        Action("ann", "2026-12-05T10:03:00Z", "hint", "networking", "Hint 1 of 3 for networking: ...")
    ]
    assert again.actions("ben") == []
    out = io.StringIO()
    assert again.export_csv(out) == 1
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["learner", "at", "score", "out_of", "problem"]
    assert rows[1][0] == "ann" and rows[1][2:4] == ["12.5", "100.0"]
