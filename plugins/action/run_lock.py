# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""The run_lock action: on the controller, in the playbook's own process tree (see the module's documentation)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ansible.plugins.action import ActionBase
from ansible_collections.cloudmart.lab.plugins.module_utils.run_lock import (
    LockError,
    acquire,
    current_holder,
    release,
)

STATES = ("held", "released", "query")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        args = self._task.args
        state = args.get("state", "held")
        if state not in STATES or not args.get("path"):
            return {**result, "failed": True, "msg": f"run_lock needs a path and a state of {', '.join(STATES)}"}
        path = Path(str(args["path"])).expanduser()
        # Each task runs in a worker forked from the ansible-playbook process: the run is its parent.
        playbook = os.getppid()
        # The lock is the run's own bookkeeping, not a change to the lab: it never reports changed,
        # so a playbook run twice still changes nothing the second time.
        try:
            if state == "held":
                taken, holder = acquire(path, str(args.get("run", "a run")), str(args.get("cluster", "lab")), playbook)
                return {**result, "changed": False, "taken": taken, "holder": holder.__dict__}
            if state == "released":
                return {**result, "changed": False, "released": release(path, playbook)}
            found = current_holder(path)
            mine = found is not None and found.pid == playbook
            return {**result, "changed": False, "holder": None if found is None or mine else found.__dict__}
        except LockError as err:
            return {**result, "failed": True, "msg": str(err)}
        except OSError as err:
            return {**result, "failed": True, "msg": f"cannot use the lock {path}: {err.strerror}"}
