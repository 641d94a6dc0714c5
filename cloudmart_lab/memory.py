"""The memory each lab node container uses, as `docker stats` counts it (page cache left out)."""

from __future__ import annotations

import re
import statistics
import time

from cloudmart_lab.docker import CHECKOUT_LABEL, NODE_LABEL
from cloudmart_lab.paths import REPO
from cloudmart_lab.settings import Settings
from cloudmart_lab.shell import run

_UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40, "kB": 10**3, "MB": 10**6, "GB": 10**9}
_SIZE = re.compile(r"^\s*([0-9.]+)\s*([A-Za-z]+)\s*$")


def parse_size(text: str) -> int:
    """Bytes of a size as docker prints it ("1.52GiB", "512MiB", "0B")."""
    found = _SIZE.match(text)
    if not found or found[2] not in _UNITS:
        raise ValueError(f"not a size docker prints: {text!r}")
    return round(float(found[1]) * _UNITS[found[2]])


def sample(lab: Settings) -> dict[str, int]:
    """Bytes each of this checkout's node containers uses now, by node name."""
    listing = run(
        [
            "docker",
            "ps",
            "--filter",
            f"label={NODE_LABEL}",
            "--filter",
            f"label={CHECKOUT_LABEL}={REPO}",
            "--format",
            f'{{{{.ID}}}}\t{{{{.Label "{NODE_LABEL}"}}}}',
        ],
        what="docker ps",
    )
    names = dict(line.split("\t", 1) for line in listing.splitlines() if "\t" in line)
    wanted = {node.name for node in lab.nodes}
    ids = [container for container, name in names.items() if name in wanted]
    if not ids:
        return {}
    stats = run(["docker", "stats", "--no-stream", "--format", "{{.ID}}\t{{.MemUsage}}", *ids], what="docker stats")
    usage = {}
    for line in stats.splitlines():
        container, used = line.split("\t", 1)
        usage[names[container]] = parse_size(used.split("/", 1)[0])  # both print the same short ID
    return usage


def at_rest(lab: Settings, samples: int = 3, interval: float = 2.0) -> dict[str, int]:
    """The median of a few samples per node: one sample may catch a garbage collection or a probe."""
    taken = []
    for index in range(samples):
        if index:
            time.sleep(interval)
        taken.append(sample(lab))
    nodes = [node.name for node in lab.nodes if all(node.name in one for one in taken)]
    return {name: round(statistics.median(one[name] for one in taken)) for name in nodes}


def table(usage: dict[str, int]) -> str:
    width = max((len(name) for name in usage), default=0)
    lines = [f"  {name:<{width}}  {used / (1 << 30):5.2f} GiB" for name, used in usage.items()]
    lines.append(f"  {'all nodes':<{width}}  {sum(usage.values()) / (1 << 30):5.2f} GiB")
    return "\n".join(lines)
