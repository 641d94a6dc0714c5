"""`python -m cloudmart_lab workshop scoreboard FILE`: the room's scoreboard, served from the
instructor's machine until interrupted, its history and links kept in the workshop's folder."""

from __future__ import annotations

import contextlib
import signal
import socket
import sys
import threading
from pathlib import Path
from types import FrameType

from cloudmart_lab import workshop, workshop_end, workshop_runs
from cloudmart_lab.errors import LabError
from cloudmart_lab.scoreboard_server import Scoreboard, Verifier, serve
from cloudmart_lab.scoreboard_store import Store
from cloudmart_lab.workshop_secrets import RoomSecrets, folder

HISTORY_NAME = workshop_end.HISTORY_NAME


def run(
    file: Path,
    *,
    interval: float,
    bind: str,
    port: int,
    parallel: int,
    language: str,
    inventory: Path | None,
    refresh_seconds: float = 5,
) -> int:
    room = workshop.load(file)
    if interval < 10:
        raise LabError(f"--interval {interval:g}: verify each learner at most every 10 seconds")
    learners = workshop_runs.learners_of(room, inventory)
    store = Store(folder() / HISTORY_NAME)
    secrets = RoomSecrets.of(room.learners)
    log = (folder() / "scoreboard.log").open("a", encoding="utf-8")
    board = Scoreboard(
        learners,
        store,
        secrets,
        lambda learner, kind, scenario: workshop_runs.act(learner, kind, scenario, language, log),
        language,
        refresh_seconds,
        frozen=workshop_end.frozen_at,
    )
    try:
        server = serve(board, bind, port)
    except OSError as err:
        raise LabError(f"cannot serve the scoreboard on {bind}:{port}: {err.strerror}") from None
    verifier = Verifier(
        learners, store, lambda learner: workshop_runs.verify(learner, language, log), interval, parallel, workshop_end.frozen_at
    )
    verifier.start()
    address = socket.gethostname() if bind in ("0.0.0.0", "") else bind
    print("\n".join(links(f"http://{address}:{port}", secrets)))
    print(f"verifying {len(learners)} learners every {interval:g}s; history in {store.path}; Ctrl-C ends", file=sys.stderr)
    _wait_for_the_end()
    verifier.stop()
    server.shutdown()
    store.close()
    return 0


def links(base: str, secrets: RoomSecrets) -> list[str]:
    """The projector's, the instructor's and each learner's link."""
    width = max((len(name) for name in secrets.tokens), default=0)
    return [
        f"projector:   {base}/",
        f"instructor:  {base}/instructor/{secrets.instructor_token}",
        *(f"  {name:<{width}}  {base}/learner/{token}" for name, token in secrets.tokens.items()),
    ]


def _wait_for_the_end() -> None:
    ended = threading.Event()

    def end(signum: int, frame: FrameType | None) -> None:
        ended.set()

    signal.signal(signal.SIGTERM, end)
    with contextlib.suppress(KeyboardInterrupt):
        ended.wait()
