"""What a workshop keeps from its learners, on the instructor's machine alone: the link tokens of the
scoreboard's pages (the instructor's and each learner's) and each learner's lab_seed, which picks
the variant of every fault their cluster is broken with, so that neighbours cannot share answers.
Made once per learner and kept (mode 0600) in the workshop's folder: a restarted scoreboard hands
out the same links, a late learner gets new ones, and a learner's break is the same if run again."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudmart_lab.errors import LabError
from cloudmart_lab.paths import state_dir

SECRETS_NAME = "secrets.json"


def folder() -> Path:
    """The instructor's records of the workshop: secrets, the scoreboard's history and log."""
    return state_dir() / "workshop"


@dataclass(frozen=True)
class RoomSecrets:
    instructor_token: str
    tokens: dict[str, str]  # learner: the token of their page
    seeds: dict[str, str]  # learner: their lab_seed

    @classmethod
    def of(cls, learners: Sequence[str], where: Path | None = None) -> RoomSecrets:
        path = (where or folder()) / SECRETS_NAME
        try:
            known: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        except (OSError, ValueError) as err:
            raise LabError(
                f"cannot read the workshop's secrets in {path} ({err}); restore it or remove it to make new ones"
            ) from None
        tokens, seeds = known.get("tokens", {}), known.get("seeds", {})
        room = cls(
            known.get("instructor_token") or secrets.token_urlsafe(16),
            {name: tokens.get(name) or secrets.token_urlsafe(16) for name in learners},
            {name: seeds.get(name) or secrets.token_hex(8) for name in learners},
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        # written beside and renamed: an interrupted write never loses the links already handed out
        draft = path.with_suffix(".draft")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump({"instructor_token": room.instructor_token, "tokens": room.tokens, "seeds": room.seeds}, out, indent=2)
        draft.replace(path)
        return room

    def learner_of(self, token: str) -> str | None:
        """The learner whose page this token opens (compared in constant time), or None."""
        return next((name for name, known in self.tokens.items() if secrets.compare_digest(known, token)), None)

    def is_instructor(self, token: str) -> bool:
        return secrets.compare_digest(self.instructor_token, token)
