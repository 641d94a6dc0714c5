"""The scoreboard: a web server on the instructor's machine and a verifier beside it that verifies
every learner's cluster again on an interval and keeps each verification in the history.

Pages: / is the projector's (ranks and points); /instructor/<token> the instructor's; each
/learner/<token> one learner's own, whose buttons ask for a hint or give a scenario up. A page
reached with a token nobody was given is refused."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from cloudmart_lab import scoreboard_pages as pages
from cloudmart_lab.scoreboard_store import Action, Store, Verification
from cloudmart_lab.workshop_runs import ACTIONS, Learner
from cloudmart_lab.workshop_secrets import RoomSecrets

# A form's body is a scenario's name: anything longer is not one.
LARGEST_BODY = 1024


class Scoreboard:
    """What the pages show and do, over the history; `act` runs a learner's hint or giving up."""

    def __init__(
        self,
        learners: Sequence[Learner],
        store: Store,
        secrets: RoomSecrets,
        act: Callable[[Learner, str, str], Action],
        language: str = "en",
        refresh_seconds: float = 5,
        frozen: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.learners = {learner.name: learner for learner in learners}
        self.store, self.secrets, self.act = store, secrets, act
        self.language, self.refresh_seconds = language, refresh_seconds
        # when the instructor froze the scores (`workshop freeze`), or None
        self.frozen = frozen

    @property
    def names(self) -> list[str]:
        return list(self.learners)

    def projector(self) -> str:
        return pages.projector_board(self.store.latest(), self.names, self.language)

    def instructor(self) -> str:
        store = self.store
        return pages.instructor_board(
            store.latest(), store.last_problem(), store.counts(), store.scores(), self.names, self.language
        )

    def learner(self, name: str) -> str:
        challenge = _challenge(self.learners[name].challenge_file)
        return pages.learner_board(
            name, self.store.latest().get(name), self.store.last_problem().get(name), challenge, self.language
        )

    def learner_page(self, name: str, board_url: str) -> str:
        last = self.store.latest().get(name)
        scenarios = [row["name"] for row in (last.learner_view.get("scenarios", []) if last else [])]
        controls = pages.learner_controls(scenarios, self.store.actions(name), self.language)
        title = pages.words(self.language, "learner-title", learner=name)
        return pages.page(title, self.learner(name), board_url, self.refresh_seconds, controls)

    def take(self, name: str, kind: str, scenario: str) -> Action:
        action = self.act(self.learners[name], kind, scenario)
        self.store.add_action(action)
        return action


def _challenge(path: Path) -> dict[str, Any] | None:
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


class Verifier(threading.Thread):
    """Verifies every learner, `parallel` at a time, then waits `interval` seconds, until stopped."""

    def __init__(
        self,
        learners: Sequence[Learner],
        store: Store,
        verify: Callable[[Learner], Verification],
        interval: float,
        parallel: int = 3,
        frozen: Callable[[], str | None] = lambda: None,
    ) -> None:
        super().__init__(name="scoreboard-verifier", daemon=True)
        self.learners, self.store, self.verify = list(learners), store, verify
        self.interval, self.parallel, self.frozen = interval, parallel, frozen
        self.stopping = threading.Event()
        self.rounds = 0

    def run(self) -> None:
        with ThreadPoolExecutor(max_workers=self.parallel) as pool:
            while not self.stopping.is_set():
                # once the scores are frozen, a cluster repaired afterwards changes nothing
                if self.frozen() is None:
                    for verification in pool.map(self._verified, self.learners):
                        if self.frozen() is None:
                            self.store.add(verification)
                    self.rounds += 1
                self.stopping.wait(self.interval)

    def _verified(self, learner: Learner) -> Verification:
        try:
            return self.verify(learner)
        except Exception as err:  # one learner's broken run must not end everyone's scoreboard
            return Verification.failed(learner.name, f"{type(err).__name__}: {err}")

    def stop(self) -> None:
        self.stopping.set()


def handler(board: Scoreboard) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "CloudMartScoreboard"

        def do_GET(self) -> None:
            parts = [part for part in self.path.split("?")[0].split("/") if part]
            if not parts:
                title = pages.words(board.language, "projector-title")
                return self._send(pages.page(title, board.projector(), "/board", board.refresh_seconds))
            if parts == ["board"]:
                return self._send(board.projector())
            if parts[0] == "instructor" and len(parts) in (2, 3):
                return self._instructor(parts[1], parts[2:])
            if parts[0] == "learner" and len(parts) in (2, 3):
                name = self._learner(parts[1])
                if name is None:
                    return None
                if len(parts) == 2:
                    return self._send(board.learner_page(name, f"/learner/{parts[1]}/board"))
                if parts[2] == "board":
                    return self._send(board.learner(name))
            return self._refuse(HTTPStatus.NOT_FOUND, "no such page")

        def do_POST(self) -> None:
            parts = [part for part in self.path.split("?")[0].split("/") if part]
            if len(parts) != 3 or parts[0] != "learner" or parts[2] not in ACTIONS:
                return self._refuse(HTTPStatus.NOT_FOUND, "no such action")
            name = self._learner(parts[1])
            if name is None:
                return None
            length = int(self.headers.get("Content-Length") or 0)
            if length > LARGEST_BODY:
                return self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "that is not a scenario's name")
            scenario = parse_qs(self.rfile.read(length).decode(errors="replace")).get("scenario", [""])[0]
            if not scenario:
                return self._refuse(HTTPStatus.BAD_REQUEST, "choose a scenario")
            ended = board.frozen()
            if ended is not None:
                return self._refuse(HTTPStatus.CONFLICT, f"the workshop has ended: the scores were frozen at {ended}")
            return self._send(board.take(name, parts[2], scenario).said, "text/plain")

        def _instructor(self, token: str, rest: list[str]) -> None:
            if not board.secrets.is_instructor(token):
                return self._refuse(HTTPStatus.FORBIDDEN, "this is not the instructor's link")
            if not rest:
                title = pages.words(board.language, "instructor-title")
                csv_link = f"<p><a href='/instructor/{token}/history.csv'>{pages.words(board.language, 'csv')}</a></p>"
                return self._send(
                    pages.page(title, board.instructor(), f"/instructor/{token}/board", board.refresh_seconds, csv_link)
                )
            if rest == ["board"]:
                return self._send(board.instructor())
            if rest == ["history.csv"]:
                out = StringIO()
                board.store.export_csv(out)
                return self._send(out.getvalue(), "text/csv")
            return self._refuse(HTTPStatus.NOT_FOUND, "no such page")

        def _learner(self, token: str) -> str | None:
            name = board.secrets.learner_of(token)
            if name is None:
                self._refuse(HTTPStatus.FORBIDDEN, "this link opens no learner's page: ask your instructor for yours")
            return name

        def _send(self, body: str, kind: str = "text/html") -> None:
            data = body.encode()
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def _refuse(self, status: HTTPStatus, why: str) -> None:
            data = f"{status.value} {status.phrase}: {why}\n".encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return  # the instructor's terminal shows the verifications, not every page fetched

    return Handler


def serve(board: Scoreboard, bind: str, port: int) -> ThreadingHTTPServer:
    """The scoreboard's server, bound and serving in a thread of its own; shutdown() ends it."""
    server = ThreadingHTTPServer((bind, port), handler(board))
    threading.Thread(target=server.serve_forever, name="scoreboard-server", daemon=True).start()
    return server
