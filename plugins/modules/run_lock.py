#!/usr/bin/python
# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""Documentation of the run_lock action (plugins/action/run_lock.py), which does the work."""

from __future__ import annotations

DOCUMENTATION = r"""
module: run_lock
short_description: Let one break, solve or reset run at a time on a cluster
description:
  - Takes an exclusive lock (flock) on O(path), a file beside the cluster's kubeconfig on the
    controller, for the rest of the ansible-playbook run. A second run that asks for it fails with
    one line naming the run that holds it and since when.
  - The lock is kept by a small process that lets go of it as soon as the playbook's process is
    gone, however the run ended (finished, failed, interrupted or killed), so a stale lock never
    remains; O(state=released) lets go earlier.
  - O(state=query) only reports who holds the lock (RV(holder)), for a run that must not start while
    another changes the cluster, such as verify.yml during a break.
  - Runs on the controller. The lock is the run's bookkeeping, not a change to the cluster, so the
    task never reports a change (RV(taken) and RV(released) say what it did).
version_added: "0.2.0"
author: CloudMart Lab maintainers
options:
  path:
    description: The lock file on the controller (one per cluster).
    type: path
    required: true
  state:
    description: C(held) to take the lock, C(released) to let go of it, C(query) to ask who holds it.
    type: str
    choices: [held, released, query]
    default: held
  run:
    description: What this run is, as other runs name it, such as C(break.yml).
    type: str
  cluster:
    description: The cluster's name, as other runs name it.
    type: str
    default: lab
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Let no other break, solve or reset run on this cluster until this one ends
  cloudmart.lab.run_lock:
    path: "{{ lab_kubeconfig | dirname }}/lab.lock"
    run: break.yml
    cluster: lab

- name: Ask whether a break is running
  cloudmart.lab.run_lock:
    path: "{{ lab_kubeconfig | dirname }}/lab.lock"
    state: query
  register: lock
"""

RETURN = r"""
taken:
  description: Whether this task took the lock (false when this run held it already).
  returned: when O(state=held)
  type: bool
released:
  description: Whether this task let go of a lock this run held.
  returned: when O(state=released)
  type: bool
holder:
  description: >-
    The run holding the lock (run, cluster, since, pid of its ansible-playbook, pid of the process
    keeping it): this run's own after O(state=held); another run's, or null, after O(state=query).
  returned: when O(state) is C(held) or C(query)
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule


def main() -> None:
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    module.fail_json(msg="cloudmart.lab.run_lock runs on the controller as an action; it has no remote part")


if __name__ == "__main__":
    main()
