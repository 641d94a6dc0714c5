# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""The lab's screen output: Ansible's default, quiet where a learner is watching."""

from __future__ import annotations

DOCUMENTATION = r"""
name: lab_output
type: stdout
short_description: Ansible's default output, with the learner's plays kept quiet
description:
  - Prints as Ansible's C(default) callback does, with the time each task took and the slowest tasks
    at the end of the run.
  - In a play whose vars set C(lab_learner_output) (break, challenge, hint, give up), it prints only
    what the play says to the learner (its debug messages), failures as one line each, a line while
    a wait goes on, and the recap. Task names and included files are not printed there, because
    they name what a break changes.
  - C(-e lab_show_answers=true) (an instructor's run) prints those plays in full.
version_added: "0.5.0"
author: CloudMart Lab maintainers
extends_documentation_fragment:
  - default_callback
  - result_format_callback
requirements:
  - set as stdout_callback in ansible.cfg
"""

import time
from typing import Any

import yaml
from ansible import constants as C
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.task_include import TaskInclude
from ansible.plugins.callback.default import CallbackModule as DefaultCallback
from ansible.utils.vars import load_extra_vars

DEBUG_ACTIONS = ("debug", "ansible.builtin.debug", "ansible.legacy.debug")
SLOWEST_SHOWN = 15
# tasks quicker than this are left out of the slowest
SLOWEST_FROM_SECONDS = 0.1


class CallbackModule(DefaultCallback):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "cloudmart.lab.lab_output"

    def __init__(self) -> None:
        super().__init__()
        self._quiet = False
        self._run_started = time.monotonic()
        self._task_started: tuple[str, float] | None = None
        self._durations: dict[str, float] = {}

    # --- which plays are quiet ------------------------------------------------------------------

    def v2_playbook_on_play_start(self, play: Any) -> None:
        self._end_task()
        self._quiet = _is_learners(play)
        super().v2_playbook_on_play_start(play)

    # --- tasks: a banner and its times, or nothing for a learner's play -------------------------

    def v2_playbook_on_task_start(self, task: Any, is_conditional: bool) -> None:
        self._start_task(task)
        if self._quiet:
            self._last_task_name = task.get_name().strip()
            return
        super().v2_playbook_on_task_start(task, is_conditional)

    def v2_playbook_on_handler_task_start(self, task: Any) -> None:
        self._start_task(task)
        if not self._quiet:
            super().v2_playbook_on_handler_task_start(task)

    def _print_task_banner(self, task: Any) -> None:
        if self._quiet:
            self._last_task_banner = task._uuid
            return
        super()._print_task_banner(task)
        self._display.display(f"{time.strftime('%H:%M:%S')}  {_clock(time.monotonic() - self._run_started)} into the run")

    def v2_playbook_on_include(self, included_file: Any) -> None:
        if not self._quiet:
            super().v2_playbook_on_include(included_file)

    # --- results ----------------------------------------------------------------------------------

    def v2_runner_on_ok(self, result: Any) -> None:
        if not self._quiet:
            super().v2_runner_on_ok(result)
        elif not isinstance(result.task, TaskInclude) and result.task.action in DEBUG_ACTIONS:
            items = result.result.get("results", [result.result])
            for item in items:
                if "msg" in item and not item.get("skipped"):
                    self._say(item["msg"])

    def v2_runner_item_on_ok(self, result: Any) -> None:
        if not self._quiet:
            super().v2_runner_item_on_ok(result)

    def v2_runner_on_skipped(self, result: Any) -> None:
        if not self._quiet:
            super().v2_runner_on_skipped(result)

    def v2_runner_item_on_skipped(self, result: Any) -> None:
        if not self._quiet:
            super().v2_runner_item_on_skipped(result)

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        if not self._quiet:
            super().v2_runner_on_failed(result, ignore_errors)
        elif not ignore_errors and "results" not in result.result:  # a loop's items said it already
            self._fail(result.result)

    def v2_runner_item_on_failed(self, result: Any) -> None:
        if not self._quiet:
            super().v2_runner_item_on_failed(result)
        elif not result.task.ignore_errors:
            self._fail(result.result)

    def v2_runner_on_unreachable(self, result: Any) -> None:
        if not self._quiet:
            super().v2_runner_on_unreachable(result)
        else:
            self._fail(result.result, f"{result.host.get_name()} cannot be reached: ")

    def v2_runner_retry(self, result: Any) -> None:
        if not self._quiet:
            super().v2_runner_retry(result)
            return
        left = result.result["retries"] - result.result["attempts"]
        self._display.display(f"  ... still waiting ({left} tries left)")

    def v2_on_file_diff(self, result: Any) -> None:
        if not self._quiet:
            super().v2_on_file_diff(result)

    # --- the end of the run -------------------------------------------------------------------------

    def v2_playbook_on_stats(self, stats: Any) -> None:
        self._end_task()
        super().v2_playbook_on_stats(stats)
        timed = [(name, seconds) for name, seconds in self._durations.items() if seconds >= SLOWEST_FROM_SECONDS]
        slowest = sorted(timed, key=lambda pair: pair[1], reverse=True)[:SLOWEST_SHOWN]
        if slowest:
            self._display.banner(f"SLOWEST TASKS (the run took {_clock(time.monotonic() - self._run_started)})")
            width = max(len(name) for name, _ in slowest)
            for name, seconds in slowest:
                self._display.display(f"{name.ljust(width)}  {seconds:7.1f} s")

    # --- helpers ------------------------------------------------------------------------------------

    def _start_task(self, task: Any) -> None:
        self._end_task()
        # a learner's play keeps its tasks' names out of the run's summary too
        self._task_started = None if self._quiet else (task.get_name().strip(), time.monotonic())

    def _end_task(self) -> None:
        if self._task_started is not None:
            name, started = self._task_started
            self._durations[name] = self._durations.get(name, 0.0) + time.monotonic() - started
            self._task_started = None

    def _say(self, message: Any) -> None:
        if isinstance(message, list):
            for line in message:
                self._say(line)
        elif isinstance(message, dict):
            self._display.display(yaml.safe_dump(message, allow_unicode=True, sort_keys=False).rstrip())
        else:
            self._display.display(str(message))

    def _fail(self, result: dict[str, Any], prefix: str = "") -> None:
        # the message alone: a failing task's name, path and arguments would tell what it changes
        message = result.get("msg") or result.get("stderr") or "failed"
        line = f"FAILED: {prefix}{' '.join(str(message).split())}"
        self._display.display(line, color=C.COLOR_ERROR, stderr=self.get_option("display_failed_stderr"))


def _is_learners(play: Any) -> bool:
    """A play marked for learners, unless this run shows the answers."""
    if _truthy(load_extra_vars(DataLoader()).get("lab_show_answers", False)):
        return False
    return _truthy(play.get_vars().get("lab_learner_output", False))


def _truthy(value: Any) -> bool:
    try:
        return bool(boolean(value, strict=False))
    except TypeError:
        return False


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"
