"""The per-lab state file (.lab/lab.json): what `prepare` chose, read by the Vagrantfile and the inventory."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from cloudmart_lab.errors import LabError
from cloudmart_lab.paths import state_dir
from cloudmart_lab.shell import require, run


@dataclass
class LabState:
    bundle_dir: str
    node_image: str
    ssh_private_key: str
    kubeconfig: str
    platform_bundle_dir: str = ""
    secrets_dir: str = ""


def state_file() -> Path:
    return state_dir() / "lab.json"


def save(state: LabState) -> Path:
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(state), indent=2) + "\n")
    return path


def run_record_file() -> Path:
    """What the last `python -m cloudmart_lab up` did, step by step (progress.Progress.record)."""
    return state_dir() / "up.json"


def save_run_record(record: dict[str, object]) -> Path:
    path = run_record_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


def load() -> LabState:
    try:
        return LabState(**json.loads(state_file().read_text()))
    except FileNotFoundError:
        raise LabError(f"the lab is not prepared ({state_file()} is missing); run: make lab") from None


def ensure_ssh_key() -> Path:
    """The lab's own SSH key pair; Vagrant's well-known insecure key is never used."""
    key = state_dir() / "ssh" / "id_ed25519"
    if not key.exists():
        require("ssh-keygen", "install it with apt-get install openssh-client")
        key.parent.mkdir(parents=True, exist_ok=True)
        key.parent.chmod(0o700)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "cloudmart-lab", "-f", str(key)], what="ssh-keygen")
    return key
