"""Running external commands, with their output kept in a log and failures told in one line."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from cloudmart_lab.errors import LabError


def require(program: str, hint: str) -> str:
    """Path of `program` on PATH, or a LabError that says how to get it."""
    path = shutil.which(program)
    if path is None:
        raise LabError(f"{program} is not installed; {hint}")
    return path


def run(
    command: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    what: str | None = None,
    input_text: str | None = None,
) -> str:
    """Run a command and return its standard output.

    With `log`, stdout and stderr go to that file (appended) instead of being captured, so long builds
    leave a full record. On failure the LabError names the step, the exit code and the last line of output.
    """
    argv = [str(part) for part in command]
    full_env = {**os.environ, **(env or {})}
    label = what or shlex.join(argv[:3])
    try:
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("a") as sink:
                sink.write(f"\n$ {shlex.join(argv)}\n")
                sink.flush()
                done = subprocess.run(
                    argv, cwd=cwd, env=full_env, stdout=sink, stderr=subprocess.STDOUT, text=True, input=input_text, check=False
                )
            output = ""
        else:
            done = subprocess.run(argv, cwd=cwd, env=full_env, capture_output=True, text=True, input=input_text, check=False)
            output = done.stdout
    except FileNotFoundError:
        raise LabError(f"{label}: {argv[0]} is not installed") from None
    if done.returncode != 0:
        if log is not None:
            tail = _last_line(log.read_text(errors="replace"))
            raise LabError(f"{label} failed (exit {done.returncode}): {tail} (full log: {log})")
        tail = _last_line(done.stderr) or _last_line(done.stdout)
        raise LabError(f"{label} failed (exit {done.returncode}): {tail}")
    return output


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
