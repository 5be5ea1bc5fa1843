"""The service settles Python's collector once built: start-up frozen, fewer young collections."""

from __future__ import annotations

import json
import subprocess
import sys

from scoring.bootstrap import COLLECTOR_THRESHOLDS

PROBE = """
import gc, json
from scoring.bootstrap import settle_collector
before = gc.get_freeze_count()
settle_collector()
print(json.dumps([before, gc.get_freeze_count(), list(gc.get_threshold())]))
"""


def test_settling_freezes_start_up_and_sets_the_thresholds() -> None:
    # In a process of its own: freezing and thresholds are process-wide.
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    before, after, thresholds = json.loads(done.stdout)
    assert before == 0
    assert after > 10_000  # the modules and wiring imported: never garbage, never walked again
    assert tuple(thresholds) == COLLECTOR_THRESHOLDS
