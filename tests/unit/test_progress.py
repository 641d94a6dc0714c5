"""The steps a command reports, kept as data for the tests that time the lab's bring-up."""

from __future__ import annotations

import io
import time

import pytest

from cloudmart_lab.progress import Progress


def test_the_record_holds_each_step_with_when_it_began_and_how_it_ended():
    progress = Progress("lab")
    progress.out = io.StringIO()
    before = time.time()
    with progress.step("node image"):
        time.sleep(0.05)
    progress.skip("bundle checksums", "not needed")
    with pytest.raises(RuntimeError), progress.step("vagrant up --provider=docker"):
        raise RuntimeError("vagrant failed")
    record = progress.record()
    steps = record["steps"]
    assert isinstance(steps, list)
    assert [(s["name"], s["outcome"]) for s in steps] == [
        ("node image", "done"),
        ("bundle checksums", "not needed"),
        ("vagrant up --provider=docker", "failed"),
    ]
    assert before - 1 <= record["began"] <= steps[0]["began"] <= steps[1]["began"] <= steps[2]["began"] <= time.time()
    assert steps[0]["seconds"] >= 0.05
