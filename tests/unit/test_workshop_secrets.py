"""The workshop's secrets on the instructor's machine: made once per learner, the same when read
again, new ones for a late learner, readable by the instructor alone, and a damaged file refused
in one line rather than replaced (the links already handed out would stop working)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cloudmart_lab.errors import LabError
from cloudmart_lab.workshop_secrets import SECRETS_NAME, RoomSecrets


def test_made_once_kept_for_the_room_and_private(tmp_path: Path):
    first = RoomSecrets.of(["ann", "ben"], tmp_path)
    again = RoomSecrets.of(["ann", "ben", "dan"], tmp_path)
    assert again.instructor_token == first.instructor_token
    assert again.tokens["ann"] == first.tokens["ann"] and again.seeds["ben"] == first.seeds["ben"]
    assert len(set(again.tokens.values())) == 3 and len(set(again.seeds.values())) == 3, "a late learner gets their own"
    path = tmp_path / SECRETS_NAME
    assert path.stat().st_mode & 0o777 == 0o600
    assert json.loads(path.read_text())["seeds"]["dan"] == again.seeds["dan"]
    assert again.learner_of(again.tokens["ben"]) == "ben" and again.learner_of("ben") is None
    assert again.is_instructor(again.instructor_token) and not again.is_instructor(again.tokens["ann"])


def test_a_file_made_readable_by_others_is_private_again_and_a_damaged_one_refused(tmp_path: Path):
    path = tmp_path / SECRETS_NAME
    RoomSecrets.of(["ann"], tmp_path)
    path.chmod(0o644)
    RoomSecrets.of(["ann"], tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600
    path.write_text("{ not json")
    with pytest.raises(LabError, match="cannot read the workshop's secrets"):
        RoomSecrets.of(["ann"], tmp_path)
    assert path.read_text() == "{ not json", "nothing replaced"
