"""The demo loader adopts the seeded rules of 青山县 once (SQLite, no broker)."""

from __future__ import annotations

from pathlib import Path

from kit.testing import count
from scoring.demo import COUNTY, run
from scoring.settings import ScoringSettings
from scoring.wiring import wire


async def test_the_demo_adopts_the_rules_once(tmp_path: Path) -> None:
    settings = ScoringSettings.for_service(
        "scoring", database_url=f"sqlite+aiosqlite:///{tmp_path / 'scoring.db'}"
    )
    assert await run(settings) is True
    assert await run(settings) is False
    core = wire(settings)
    try:
        rule_sets = core.services.tables.rule_sets
        active = (rule_sets.c.county == COUNTY) & (rule_sets.c.status == "active")
        assert await count(core.runtime.engine, rule_sets, active) == 1
    finally:
        await core.runtime.stop()
