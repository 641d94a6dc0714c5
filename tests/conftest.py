"""Shared test setup: the toolkit's own tools (ansible, ansible-playbook) come first on PATH."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
os.environ.setdefault("ANSIBLE_CONFIG", str(Path(__file__).resolve().parent.parent / "ansible.cfg"))
