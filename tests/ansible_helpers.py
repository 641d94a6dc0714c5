"""Running one module of the collection through ansible-runner, as a playbook task would."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import ansible_runner

from cloudmart_lab.paths import REPO


def run_module(
    module: str,
    args: dict[str, Any],
    *,
    check: bool = False,
    diff: bool = False,
    env: dict[str, str] | None = None,
    host: str = "localhost",
    inventory: str | None = None,
) -> dict[str, Any]:
    """Run `module` against one host and return its result (with `failed` set when it failed)."""
    private = Path(tempfile.mkdtemp(prefix="lab-module-"))
    results: list[dict[str, Any]] = []

    def collect(event: dict[str, Any]) -> bool:
        if event.get("event") in ("runner_on_ok", "runner_on_failed", "runner_on_unreachable"):
            result = dict(event["event_data"]["res"])
            result["failed"] = event["event"] != "runner_on_ok"
            results.append(result)
        return True

    flags = " ".join(flag for flag, wanted in (("--check", check), ("--diff", diff)) if wanted)
    try:
        ansible_runner.run(
            private_data_dir=str(private),
            host_pattern=host,
            module=module,
            module_args=module_args(args),
            inventory=inventory,
            cmdline=flags or None,
            envvars={"ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), **(env or {})},
            event_handler=collect,
            quiet=True,
        )
    finally:
        shutil.rmtree(private, ignore_errors=True)
    assert len(results) == 1, f"expected one result from {module}, got {results}"
    return results[0]


def module_args(args: dict[str, Any]) -> str:
    """key=value pairs, or JSON when a value is a list or a dict (Ansible takes both)."""
    if any(isinstance(value, dict | list) for value in args.values()):
        plain = (dict, list, int, bool)
        return json.dumps({key: value if isinstance(value, plain) else str(value) for key, value in args.items()})
    return " ".join(f"{key}={value}" for key, value in args.items())


def path_with(directory: Path) -> str:
    return os.pathsep.join([str(directory), os.environ["PATH"]])
