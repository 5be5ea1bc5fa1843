"""The scoring alert group passes its promtool rule tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_the_parked_events_alert_fires_after_an_hour_only() -> None:
    tests = ROOT / "deploy" / "prometheus" / "tests" / "scoring_test.yml"
    result = subprocess.run(
        ["promtool", "test", "rules", str(tests)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
