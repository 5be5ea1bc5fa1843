"""Holiday calendars beyond the library: a loaded official year wins and moves open deadlines."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time

import pytest

from cases.handlers import intake
from cases.handlers.calendar import apply_official_years, coverage
from cases.handlers.context import Caller
from cases.testing.harness import (
    COUNTY,
    TOWNSHIP,
    headers,
    published,
    running_app,
    settings_for,
)
from contracts.vocabulary import CaseKind
from kit.clock import CHINA
from kit.principal import Principal, Role

pytestmark = pytest.mark.integration
YEAR = 2099  # far beyond any calendar library


async def test_a_loaded_year_wins_moves_open_deadlines_with_an_event_and_fallback_is_marked(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    async with running_app(settings) as (service, client):
        svc = service.services
        svc_at = replace(svc, clock=lambda: datetime.combine(date(YEAR, 1, 5), time(10), CHINA))
        staff = Principal(subject="staff", roles=frozenset({Role.township_staff}), scope=TOWNSHIP)
        draft = intake.Draft(
            kind=CaseKind.suggestion,
            township=TOWNSHIP,
            title="关于拓宽青石村道路的建议",
            content="青石村至镇区道路狭窄，建议拓宽。",
            category="交通",
            deputy_ids=("dep-1",),
        )
        case_id, case = await intake.submit(svc_at, Caller(principal=staff), draft)
        assert case is not None
        assert case.calendar_fallback  # 2099 is counted Monday to Friday: marked
        metrics = await client.get("/metrics")
        assert "cases_fallback_clocks_total 1.0" in metrics.text
        before = case.assign_by  # 7 working days Mon-Fri from Mon 5 Jan 2099: 14 Jan

        holidays = [f"{YEAR}-01-{d:02d}" for d in range(6, 13)]  # a week off
        loaded = settings_for(
            database_url,
            topic_prefix,
            official_calendars={str(YEAR): {"holidays": holidays, "workdays": []}},
        )
        async with running_app(loaded, roster=False) as (again, client2):
            moved_svc = again.services
            assert moved_svc.calendar.covers(YEAR)
            assert not moved_svc.calendar.is_workday(date(YEAR, 1, 7))  # wins over Mon-Fri
            assert await apply_official_years(moved_svc) == 1
            assert await apply_official_years(moved_svc) == 0  # once per arrangement
            read = await client2.get(f"/api/v1/cases/{case_id}", headers=admin)
            assert read.json()["assign_by"] > before.isoformat()
            assert read.json()["calendar_fallback"] is False
            records = await published(topic_prefix, expected=2)
            moved = [
                r["envelope"]["data"]
                for r in records
                if r["envelope"]["type"] == "cases.case.due_date_recomputed"
            ]
            assert [(m["case_id"], m["previous_due_on"]) for m in moved] == [
                (case_id, before.isoformat())
            ]
            ready = await client2.get("/readyz")
            details = ready.json()["details"]["holiday_calendar"]
            assert details["loaded"] == [YEAR]
        assert coverage(svc.calendar, date(YEAR, 1, 1))["holiday_calendar"]["uncovered"] == [
            YEAR,
            YEAR + 1,
        ]


def test_a_bad_arrangement_is_refused_naming_the_problem() -> None:
    with pytest.raises(ValueError, match="not a weekend day"):
        settings_for(
            "sqlite+aiosqlite://",
            "t.",
            official_calendars={"2027": {"holidays": ["2027-01-01"], "workdays": ["2027-01-04"]}},
        )
    with pytest.raises(ValueError, match="not in 2027"):
        settings_for(
            "sqlite+aiosqlite://",
            "t.",
            official_calendars={"2027": {"holidays": ["2028-01-01"]}},
        )
