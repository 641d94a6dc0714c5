"""Reading docker's sizes and summing the nodes' memory (the lab tests read the real node containers)."""

from __future__ import annotations

import pytest

from cloudmart_lab import memory


@pytest.mark.parametrize(
    ("printed", "size"),
    [("1.52GiB", 1632087572), ("512MiB", 536870912), ("0B", 0), ("980.5KiB", 1004032), ("1.2GB", 1200000000)],
)
def test_docker_sizes_are_read_in_their_own_units(printed: str, size: int):
    assert memory.parse_size(printed) == size


@pytest.mark.parametrize("printed", ["", "12", "1.5 parsecs", "--"])
def test_a_size_docker_never_prints_is_refused(printed: str):
    with pytest.raises(ValueError, match="not a size"):
        memory.parse_size(printed)


def test_the_table_lists_each_node_and_their_sum():
    table = memory.table({"control-plane": 3 << 29, "worker-1": 1 << 31})
    assert table.splitlines() == ["  control-plane   1.50 GiB", "  worker-1        2.00 GiB", "  all nodes       3.50 GiB"]
