#!/usr/bin/python
# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""Record a learner's attempt at a scenario: a hint bought, a scenario given up or repaired, a statement."""

from __future__ import annotations

DOCUMENTATION = r"""
module: learner_attempt
short_description: Record what a learner did in a scenario (hints, give up, repair, statement)
description:
  - Keeps the learner's attempt record, a JSON file beside the cluster's kubeconfig on the controller.
    Per scenario it holds when the scenario started, each hint tier bought (when, and the share of the
    scenario's points it cost), when it was given up, when verify first saw it repaired, and the learner's
    own root-cause and prevention statement. verify.yml reads it to score and to time the scenarios.
  - Taking again what is taken already (a tier bought, a scenario given up or repaired) changes nothing.
  - Runs on the controller (delegate to localhost).
version_added: "0.3.0"
author: CloudMart Lab maintainers
options:
  path:
    description: The attempt record (attempt.json beside the kubeconfig).
    type: path
    required: true
  action:
    description:
      - C(started) begins the scenario afresh (a new break), C(hint) records tier O(tier) bought at
        O(cost_percent), C(given_up), C(timed_out) (a challenge's box ended and the scenario was repaired
        for the learner) and C(repaired) record when, C(statement) keeps O(statement),
        C(cleared) forgets the scenario (every scenario without O(scenario)).
    type: str
    required: true
    choices: [started, hint, given_up, timed_out, repaired, statement, cleared]
  scenario:
    description: The scenario's name in the catalog.
    type: str
  tier:
    description: The hint tier bought (1 for the first).
    type: int
  cost_percent:
    description: What the tier costs, in percent of the scenario's points.
    type: float
    default: 0
  statement:
    description: The learner's root cause and prevention, in their words.
    type: str
  at:
    description: When it happened (ISO 8601, UTC); now when not given.
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Record the second hint of networking, which costs 10 % of its points
  cloudmart.lab.learner_attempt:
    path: "{{ lab_kubeconfig | dirname }}/attempt.json"
    action: hint
    scenario: networking
    tier: 2
    cost_percent: 10
  delegate_to: localhost
"""

RETURN = r"""
record:
  description: The whole record after the action.
  returned: always
  type: dict
entry:
  description: The scenario's entry after the action (hints, started_at, given_up_at, repaired_at, statement).
  returned: when O(scenario) is given
  type: dict
"""

from datetime import UTC, datetime
from pathlib import Path

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cloudmart.lab.plugins.module_utils import record_file
from ansible_collections.cloudmart.lab.plugins.module_utils.attempt import AttemptError, apply, dump, load


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "action": {
                "type": "str",
                "required": True,
                "choices": ["started", "hint", "given_up", "timed_out", "repaired", "statement", "cleared"],
            },
            "scenario": {"type": "str"},
            "tier": {"type": "int"},
            "cost_percent": {"type": "float", "default": 0},
            "statement": {"type": "str"},
            "at": {"type": "str"},
        },
        required_if=[("action", "hint", ["scenario", "tier"]), ("action", "statement", ["scenario", "statement"])],
        supports_check_mode=True,
    )
    params = module.params
    path = Path(params["path"])
    at = params["at"] or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        before = load(path)
        after = apply(
            before,
            params["action"],
            params["scenario"],
            at,
            tier=params["tier"],
            cost_percent=params["cost_percent"],
            statement=params["statement"],
        )
    except AttemptError as err:
        module.fail_json(msg=str(err))
    changed = after != before
    if changed and not module.check_mode:
        record_file.write(path, after)
    result = {"changed": changed, "record": after}
    if params["scenario"]:
        result["entry"] = after["scenarios"].get(params["scenario"], {})
    if module._diff:
        result["diff"] = {"before": dump(before), "after": dump(after), "before_header": str(path), "after_header": str(path)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
