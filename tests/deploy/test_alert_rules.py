"""The alert rules pass `promtool check rules`, and every alert has a `promtool test rules` unit test.

Unit tests live in deploy/prometheus/tests/*.yml (one file per group or team); each names the rule files
it loads. `./dev test` installs Debian's prometheus package when promtool is missing, so nothing here
skips: a machine without promtool fails with the command that fixes it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
TESTS = PROMETHEUS / "tests"
TEST_FILES = sorted([*TESTS.glob("*.yml"), *TESTS.glob("*.yaml")])


def promtool() -> str:
    """Return promtool's path; fail (not skip) when it is missing."""
    path = shutil.which("promtool")
    assert path, "promtool is missing: ./dev test installs it (apt-get install -y prometheus)"
    return path


def run(*args: str, cwd: Path = PROMETHEUS) -> None:
    result = subprocess.run(
        [promtool(), *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rule_files() -> list[Path]:
    """Return every rule file Prometheus loads and every one a unit test loads."""
    files = {PROMETHEUS / name for name in _yaml(PROMETHEUS / "prometheus.yml")["rule_files"]}
    for test in TEST_FILES:
        files |= {(TESTS / name).resolve() for name in _yaml(test).get("rule_files", [])}
    return sorted(files)


def alerts(files: list[Path]) -> set[str]:
    """Return the names of the alerts defined in rule files."""
    return {
        str(rule["alert"])
        for path in files
        for group in _yaml(path)["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }


def test_there_are_unit_tests() -> None:
    assert TEST_FILES, f"no promtool unit tests in {TESTS}"


@pytest.mark.parametrize("path", rule_files(), ids=lambda p: p.name)
def test_promtool_check_rules(path: Path) -> None:
    run("check", "rules", str(path))


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_promtool_test_rules(path: Path) -> None:
    run("test", "rules", path.name, cwd=TESTS)


def test_every_alert_is_shown_firing_by_a_unit_test() -> None:
    tested = {
        str(case["alertname"])
        for path in TEST_FILES
        for test in _yaml(path).get("tests", [])
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    missing = alerts(rule_files()) - tested
    assert not missing, f"alerts without a firing promtool test: {sorted(missing)}"
