"""The scoreboard's server on loopback, as browsers and curl reach it: the projector's page open to
all, the instructor's and each learner's behind their own token (a wrong or missing one refused),
the learner's buttons running that learner's hint or giving up, the history as CSV; the verifier
verifying every learner each round, one learner's broken run recorded without stopping the rest.
The verifications here come from a stand-in; the real ones are the workshop's lab test's."""

from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudmart_lab.paths import REPO
from cloudmart_lab.scoreboard_server import Scoreboard, Verifier, serve
from cloudmart_lab.scoreboard_store import Action, Store, Verification
from cloudmart_lab.workshop_runs import Learner
from cloudmart_lab.workshop_secrets import RoomSecrets

LEARNERS = ("ann", "ben", "cat")


def view(score: float, audience: str) -> dict[str, object]:
    row = {"name": "networking", "points": 25, "earned": score, "level": "basic" if score else "none", "minutes": 3.5}
    row |= {"time_box": 25, "hints": 1, "hint_cost": 2.5, "given_up": False, "timed_out": False, "title": "Networking"}
    wrong = {"mark": "FAIL", "check": "networking", "text": f"{audience}: what {audience}s read"}
    return {"audience": audience, "score": score, "out_of": 25, "scenarios": [row], "still_wrong": [wrong]}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Scoreboard, list[tuple[str, str, str]]]]:
    store = Store(tmp_path / "scoreboard.sqlite")
    learners = [Learner(name, tmp_path / name, "inventory/vagrant.yml") for name in LEARNERS]
    taken: list[tuple[str, str, str]] = []

    def act(learner: Learner, kind: str, scenario: str) -> Action:
        taken.append((learner.name, kind, scenario))
        return Action(learner.name, "2026-12-05T10:00:00Z", kind, scenario, f"{kind} for {learner.name}'s {scenario}")

    board = Scoreboard(learners, store, RoomSecrets.of(LEARNERS, tmp_path), act, refresh_seconds=1)
    server = serve(board, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", board, taken
    finally:
        server.shutdown()
        store.close()


def get(url: str, data: bytes | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def test_each_page_behind_its_token_and_a_wrong_one_refused(served):
    base, board, _ = served
    board.store.add(Verification.scored("ann", view(15, "learner"), view(15, "instructor")))
    board.store.add(Verification.scored("ben", view(25, "learner"), view(25, "instructor")))
    secrets = board.secrets

    status, projector = get(base + "/")
    assert status == 200 and "ben" in projector and "25 / 25" in projector and "instructors read" not in projector
    status, instructor = get(f"{base}/instructor/{secrets.instructor_token}")
    assert status == 200 and "instructor: what instructors read" in instructor
    status, ann = get(f"{base}/learner/{secrets.tokens['ann']}")
    assert status == 200 and "learner: what learners read" in ann and "instructors read" not in ann
    assert "ben" not in ann, "a learner's page shows that learner alone"

    assert get(f"{base}/instructor/{secrets.tokens['ann']}")[0] == 403, "a learner's token is not the instructor's"
    assert get(f"{base}/learner/not-a-token")[0] == 403
    assert get(f"{base}/learner/not-a-token/board")[0] == 403
    assert get(f"{base}/learner")[0] == 404, "no token at all"
    assert get(f"{base}/instructor")[0] == 404


def test_the_learners_buttons_act_for_that_learner_only(served):
    base, board, taken = served
    token = board.secrets.tokens["cat"]
    status, said = get(f"{base}/learner/{token}/hint", data=b"scenario=storage")
    assert (status, said) == (200, "hint for cat's storage")
    assert get(f"{base}/learner/{token}/giveup", data=b"scenario=networking")[0] == 200
    assert taken == [("cat", "hint", "storage"), ("cat", "giveup", "networking")]
    assert [a.kind for a in board.store.actions("cat")] == ["hint", "giveup"]
    assert get(f"{base}/learner/{token}/hint", data=b"")[0] == 400, "no scenario named"
    assert get(f"{base}/learner/{token}/reset", data=b"scenario=storage")[0] == 404, "no such button"
    assert get(f"{base}/learner/wrong/hint", data=b"scenario=storage")[0] == 403
    assert len(taken) == 2


def test_the_history_exports_as_csv_for_the_instructor(served):
    base, board, _ = served
    board.store.add(Verification.scored("ann", view(5, "learner"), view(5, "instructor")))
    board.store.add(Verification.failed("ben", "ben-cp does not answer over SSH"))
    status, text = get(f"{base}/instructor/{board.secrets.instructor_token}/history.csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert status == 200 and [(r["learner"], r["score"], r["problem"]) for r in rows] == [
        ("ann", "5.0", ""),
        ("ben", "", "ben-cp does not answer over SSH"),
    ]
    assert get(f"{base}/instructor/wrong/history.csv")[0] == 403


def test_the_verifier_verifies_every_learner_each_round_and_survives_a_broken_one(tmp_path: Path):
    store = Store(tmp_path / "scoreboard.sqlite")
    learners = [Learner(name, tmp_path / name, "inventory/vagrant.yml") for name in LEARNERS]
    lock = threading.Lock()
    running, most = 0, 0

    def verify(learner: Learner) -> Verification:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.2)
        with lock:
            running -= 1
        if learner.name == "ben":
            raise RuntimeError("ansible-runner could not start")
        return Verification.scored(learner.name, view(10, "learner"), view(10, "instructor"))

    verifier = Verifier(learners, store, verify, interval=0.1, parallel=2)
    verifier.start()
    deadline = time.monotonic() + 10
    while verifier.rounds < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    verifier.stop()
    verifier.join(timeout=10)
    counts = store.counts()
    assert verifier.rounds >= 2 and all(counts[name] >= 2 for name in LEARNERS), counts
    assert most == 2, "learners are verified two at a time"
    assert store.last_problem()["ben"].problem == "RuntimeError: ansible-runner could not start"
    assert store.latest()["ann"].score == 10


def test_the_scoreboard_command_refuses_in_one_line_what_cannot_work(tmp_path: Path):
    """A port already served, an interval too short, a missing workshop file: one line each, and
    nothing served."""
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    env = {**os.environ, "CLOUDMART_LAB_STATE": str(tmp_path / "state")}

    def scoreboard(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "cloudmart_lab", "workshop", "scoreboard", *args]
        return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False)

    for done, fragment in (
        (
            scoreboard("workshop.example.yml", "--bind", "127.0.0.1", "--port", str(port)),
            f"cannot serve the scoreboard on 127.0.0.1:{port}",
        ),
        (scoreboard("workshop.example.yml", "--interval", "2"), "--interval 2: verify each learner at most every 10 seconds"),
        (scoreboard(str(tmp_path / "missing.yml")), "missing.yml"),
    ):
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.strip().splitlines()[-1].startswith("error: ") and fragment in done.stderr, done.stderr
    busy.close()
