"""What a learner's full repair of the control-plane scenario earns on a bare cluster: every level
but prevention, whose alert on the API server needs the platform's Prometheus."""

from __future__ import annotations

import sys

from cloudmart_lab import module_utils
from cloudmart_lab.paths import REPO

sys.path.insert(0, str(REPO / "roles" / "verify" / "files" / "checks"))
import scoring

CATALOG = module_utils.load("scenario_catalog")
CONTROL_PLANE = next(scenario for scenario in CATALOG.load() if scenario["name"] == "control-plane")
REPAIRED = CONTROL_PLANE["points"] * sum(share for level, share in scoring.LEVELS if level != "prevention")
