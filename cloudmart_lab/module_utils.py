"""The collection's plain-Python module_utils, loaded by the toolkit.

The collection is not an importable package outside Ansible, so the toolkit loads these files by
path: one definition of a valid bundle, of an image's name and marks, for both.
"""

from __future__ import annotations

import importlib.util
from types import ModuleType

from cloudmart_lab.paths import REPO


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, REPO / "plugins" / "module_utils" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
