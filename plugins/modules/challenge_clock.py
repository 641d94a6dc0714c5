#!/usr/bin/python
# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""Keep the challenge's clock: which scenario is presented, when its box ends, what ended how."""

from __future__ import annotations

DOCUMENTATION = r"""
module: challenge_clock
short_description: Keep the clock of the lab's timed challenge
description:
  - Keeps the challenge record, a JSON file beside the cluster's kubeconfig on the controller. A challenge
    presents its scenarios one at a time, each with a time box; the current one ends when it is repaired,
    given up, or its box is over, and the next one is then due.
  - O(action=advance) takes the current scenario's end into account lazily. A box that ended before the
    call is recorded as ended at the box's end, however late the call comes.
  - The module changes nothing in the cluster. The challenge role breaks the scenario due and repairs one
    whose box is over, as the record says.
  - Runs on the controller (delegate to localhost).
version_added: "0.3.0"
author: CloudMart Lab maintainers
options:
  path:
    description: The challenge record (challenge.json beside the kubeconfig).
    type: path
    required: true
  action:
    description:
      - C(start) begins a challenge of O(boxes); C(presented) starts the clock of O(scenario); C(advance) ends
        the current scenario if O(repaired) names it, O(attempt) says it was given up, or its box is over; C(pause) and C(resume)
        stop and restart the clock; C(status) only reads.
    type: str
    required: true
    choices: [start, presented, advance, pause, resume, status]
  boxes:
    description: For C(start), the scenarios in order, each with its time box in minutes.
    type: list
    elements: dict
  box_end:
    description: For C(start), what happens to a scenario whose box ends (C(solve) or C(leave) it broken).
    type: str
    choices: [solve, leave]
    default: solve
  scenario:
    description: For C(presented), the scenario shown.
    type: str
  repaired:
    description: For C(advance), the scenarios at full points now.
    type: list
    elements: str
    default: []
  attempt:
    description: For C(advance), the learner's attempt record (attempt.json), which says what was given up and when.
    type: path
  now:
    description: The moment to act at (ISO 8601, UTC); the controller's clock when not given.
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Take the end of the current scenario into account
  cloudmart.lab.challenge_clock:
    path: "{{ lab_kubeconfig | dirname }}/challenge.json"
    action: advance
    repaired: [control-plane]
  register: clock
  delegate_to: localhost
"""

RETURN = r"""
record:
  description: The challenge record after the action (null when no challenge was ever started).
  returned: always
  type: dict
running:
  description: Whether a challenge is under way (started and not finished).
  returned: always
  type: bool
current:
  description: The scenario presented and not ended, or null.
  returned: always
  type: dict
due:
  description: The scenario to present next (none is current), or null.
  returned: always
  type: str
ended:
  description: What this action ended (name, outcome - repaired, given-up or timed-out - and when).
  returned: always
  type: list
  elements: dict
remaining_minutes:
  description: Minutes left in the current scenario's box, or null.
  returned: always
  type: float
"""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cloudmart.lab.plugins.module_utils import attempt, challenge, record_file

ACTIONS = ("start", "presented", "advance", "pause", "resume", "status")


def act(params: dict[str, Any], before: challenge.Record | None, now: datetime) -> tuple[challenge.Record | None, list[Any]]:
    action = params["action"]
    if action == "start":
        if challenge.running(before):
            raise challenge.ChallengeError("a challenge is under way here already: its status is challenge.yml without an action")
        boxes = [(str(box["name"]), float(box["minutes"])) for box in params["boxes"] or []]
        return challenge.start(boxes, params["box_end"], now), []
    if action == "status":
        return before, []
    if before is None:
        raise challenge.ChallengeError("no challenge was started here: challenge.yml starts one")
    if action == "presented":
        return challenge.presented(before, params["scenario"], now), []
    if action == "advance":
        learner = attempt.load(Path(params["attempt"])) if params["attempt"] else {"scenarios": {}}
        given_up = {name: entry["given_up_at"] for name, entry in learner["scenarios"].items() if entry.get("given_up_at")}
        return challenge.advance(before, now, set(params["repaired"]), given_up)
    if action == "pause":
        return challenge.pause(before, now), []
    return challenge.resume(before, now), []


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "action": {
                "type": "str",
                "required": True,
                "choices": ["start", "presented", "advance", "pause", "resume", "status"],
            },
            "boxes": {"type": "list", "elements": "dict"},
            "box_end": {"type": "str", "default": "solve", "choices": ["solve", "leave"]},
            "scenario": {"type": "str"},
            "repaired": {"type": "list", "elements": "str", "default": []},
            "attempt": {"type": "path"},
            "now": {"type": "str"},
        },
        required_if=[("action", "start", ["boxes"]), ("action", "presented", ["scenario"])],
        supports_check_mode=True,
    )
    path = Path(module.params["path"])
    now = challenge.parsed(module.params["now"]) if module.params["now"] else datetime.now(UTC)
    try:
        before = challenge.load(path)
        after, ended = act(module.params, before, now)
    except (challenge.ChallengeError, attempt.AttemptError) as err:
        module.fail_json(msg=str(err))
    changed = after != before
    if changed and after is not None and not module.check_mode:
        record_file.write(path, after)
    result: dict[str, Any] = {
        "changed": changed,
        "record": after,
        "running": challenge.running(after),
        "current": challenge.current(after) if after else None,
        "due": challenge.due(after) if after else None,
        "ended": ended,
        "remaining_minutes": challenge.remaining_minutes(after, now) if after else None,
    }
    if module._diff:
        result["diff"] = {"before": challenge.dump(before) if before else "", "after": challenge.dump(after) if after else ""}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
