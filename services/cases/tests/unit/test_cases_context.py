"""The cases handlers' context takes "today" from the kit: the calendar day in China."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

from cases.settings import CasesSettings
from cases.wiring import wire


def test_the_context_at_1730_utc_on_30_november_says_1_december(tmp_path: Path) -> None:
    settings = CasesSettings.for_service(
        "cases", database_url=f"sqlite+aiosqlite:///{tmp_path / 'cases.db'}"
    )
    core = wire(settings)
    at = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)
    svc = replace(core.services, clock=lambda: at)
    assert svc.today() == date(2026, 12, 1)
    assert svc.now() == at
    assert svc.announcements is core.runtime.announcements
