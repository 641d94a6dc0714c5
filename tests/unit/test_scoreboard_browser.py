"""The scoreboard's three pages in Debian's chromium, headless, each kept open as a projector or a
learner would: the board changes within the refresh interval after a new verification, without a
reload; the learner's page shows symptoms, never a diagnosis; the learner's hint button answers in
the page; a wrong token is refused. Screenshots are kept for review. (A stand-in verifies here; the
workshop's lab test verifies real clusters.)"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cloudmart_lab.scoreboard_server import Scoreboard, serve
from cloudmart_lab.scoreboard_store import Action, Store, Verification
from cloudmart_lab.workshop_runs import Learner
from cloudmart_lab.workshop_secrets import RoomSecrets
from tests.browser import Browser

REFRESH_SECONDS = 1
DIAGNOSIS = "Service backend/product-service selects pods none of which exist"


def views(score: float, level: str, failing: bool) -> tuple[dict[str, object], dict[str, object]]:
    row = {"name": "networking", "points": 25, "earned": score, "level": level, "minutes": 4.2, "time_box": 25}
    row |= {"hints": 1, "hint_cost": 2.5, "given_up": False, "timed_out": False, "title": "Services, DNS and a policy"}
    symptom = {"mark": "FAIL", "check": "networking (basic)", "text": "GET /shop/api/products answers 503"}
    diagnosis = {"mark": "FAIL", "check": "services-have-endpoints", "text": DIAGNOSIS}
    common = {"score": score, "out_of": 25, "scenarios": [row]}
    learner = common | {"audience": "learner", "still_wrong": [symptom] if failing else []}
    return learner, common | {"audience": "instructor", "still_wrong": [diagnosis] if failing else []}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Scoreboard]]:
    store = Store(tmp_path / "scoreboard.sqlite")
    learners = [Learner(name, tmp_path / name, "inventory/vagrant.yml") for name in ("ann", "ben")]

    def act(learner: Learner, kind: str, scenario: str) -> Action:
        return Action(learner.name, "2026-12-05T10:00:00Z", kind, scenario, f"Hint 1 of 3 for {scenario}: look at the endpoints")

    board = Scoreboard(learners, store, RoomSecrets.of(["ann", "ben"], tmp_path), act, refresh_seconds=REFRESH_SECONDS)
    server = serve(board, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", board
    finally:
        server.shutdown()
        store.close()


@pytest.fixture
def browser() -> Iterator[Browser]:
    opened = Browser()
    try:
        yield opened
    finally:
        opened.close()


def until(predicate: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_the_three_pages_change_without_a_reload_and_the_learner_sees_no_diagnosis(served, browser: Browser):
    base, board = served
    board.store.add(Verification.scored("ann", *views(0, "none", failing=True), at="2026-12-05T10:00:00Z"))
    board.store.add(Verification.scored("ben", *views(15, "basic", failing=True), at="2026-12-05T10:00:02Z"))

    browser.open(f"{base}/learner/{board.secrets.tokens['ann']}")
    browser.evaluate("window.openedOnce = true")
    page = browser.text()
    assert "GET /shop/api/products answers 503" in page and DIAGNOSIS not in page and "services-have-endpoints" not in page
    assert "ben" not in page
    print(f"learner's page before: {browser.screenshot('scoreboard-learner-before')}")

    board.store.add(Verification.scored("ann", *views(25, "prevention", failing=False), at="2026-12-05T10:03:00Z"))
    assert until(lambda: "25 / 25" in browser.text("#board"), 3 * REFRESH_SECONDS), browser.text("#board")
    assert browser.evaluate("window.openedOnce") is True, "the board changed in place: the page was not reloaded"
    assert "answers 503" not in browser.text("#board")

    browser.evaluate("document.getElementById('hint').click()")
    assert until(lambda: "Hint 1 of 3 for networking" in browser.text("#said"), 5), browser.text("#said")
    print(f"learner's page after: {browser.screenshot('scoreboard-learner-after')}")

    browser.open(f"{base}/instructor/{board.secrets.instructor_token}")
    instructor = browser.text()
    assert DIAGNOSIS in instructor and "ann" in instructor and "ben" in instructor
    assert browser.evaluate("document.querySelectorAll('svg.plot polyline').length") == 2, "a line per learner"
    print(f"instructor's page: {browser.screenshot('scoreboard-instructor')}")

    browser.open(f"{base}/")
    ranks = browser.text("#board")
    assert ranks.index("ann") < ranks.index("ben") and DIAGNOSIS not in ranks and "networking" not in ranks
    print(f"projector's page: {browser.screenshot('scoreboard-projector')}")

    browser.open(f"{base}/learner/a-guessed-token")
    assert "opens no learner's page" in browser.text()
