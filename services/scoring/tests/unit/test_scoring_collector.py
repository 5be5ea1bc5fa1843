"""The service settles Python's collector once built: what start-up built is frozen."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import gc, json
from scoring.bootstrap import settle_collector
before = gc.get_freeze_count()
settle_collector()
print(json.dumps([before, gc.get_freeze_count(), list(gc.get_threshold())]))
"""


def test_settling_freezes_start_up() -> None:
    # In a process of its own: freezing and thresholds are process-wide.
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    before, after, thresholds = json.loads(done.stdout)
    assert before == 0
    assert after > 10_000  # the modules and wiring imported: never garbage, never walked again
    assert tuple(thresholds) == (700, 10, 10)  # Python's own: raising them cost memory
