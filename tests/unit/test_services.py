"""Each CloudMart service's own tests (images/<service>/test.sh): real HTTP against the real
program, with real PostgreSQL, Redis, RabbitMQ or FerretDB started on loopback where it stores data."""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml

from cloudmart_lab.paths import IMAGES_DIR, REPO

SUITES = sorted(path.parent.name for path in IMAGES_DIR.glob("*/test.sh"))


def test_every_platform_service_has_its_own_tests():
    defaults = yaml.safe_load((REPO / "roles" / "platform" / "defaults" / "main.yml").read_text())
    services = {service["name"] for service in defaults["platform_services"]}
    assert len(services) == 8
    assert services <= set(SUITES), f"no test.sh for {sorted(services - set(SUITES))}"


@pytest.mark.parametrize("service", SUITES)
def test_service_suite(service: str):
    done = subprocess.run(
        ["bash", str(IMAGES_DIR / service / "test.sh")],
        cwd=IMAGES_DIR / service,
        env={**os.environ, "CI": os.environ.get("CI", "")},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    assert done.returncode == 0, f"{service}/test.sh failed (exit {done.returncode}):\n{output}"
