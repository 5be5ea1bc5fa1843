"""Scheduled checks announce each stale period exactly once, across restarts and two instances."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from deputies.domain.model import StationKind, TownshipKind
from deputies.handlers.stations import CreateStation, create_station
from deputies.handlers.townships import RegisterTownship, register_township
from deputies.testing.actors import county_admin
from deputies.testing.harness import (
    count,
    drained,
    published,
    published_all,
    running_core,
    settings_for,
)
from deputies.wiring import Core
from kit.testing import wait_until

pytestmark = pytest.mark.integration

TOWN = "990101001"


async def _backdate(core: Core, days: int) -> None:
    t = core.services.tables
    past = datetime.now(UTC) - timedelta(days=days)
    async with core.runtime.engine.begin() as conn:
        await conn.execute(update(t.townships).values(created_at=past))
        await conn.execute(update(t.stations).values(content_updated_at=past))


def _stale(records: list[dict[str, object]]) -> list[dict[str, object]]:
    return [
        r
        for r in records
        if r["envelope"]["type"] in {"deputies.roster.stale", "deputies.station.stale"}  # type: ignore[index]
    ]


async def test_stale_roster_and_station_announced_once_per_period(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix, roster_stale_days=30, station_stale_days=30)
    async with running_core(settings) as first:
        caller = county_admin()
        svc = first.services
        await register_township(svc, caller, RegisterTownship(TOWN, "东湖镇", TownshipKind.town))
        station = await create_station(
            svc,
            caller,
            CreateStation(
                TOWN, "东湖镇人大代表之家", StationKind.home, "东湖镇政府一楼", "单月15日"
            ),
        )
        await _backdate(first, days=40)
    # Two instances at once, each running the jobs every 0.3 s.
    async with (
        running_core(settings, jobs=True, migrated=True) as a,
        running_core(settings, jobs=True, migrated=True) as b,
    ):
        await published(topic_prefix, expected=4)
        await _ticks(a, b, more=3)  # three more checks after the announcements: nothing new
        assert await count(a.runtime.engine, a.runtime.tables.announcements) == 2
        await drained(a.runtime)
    # A restart announces nothing new in the same period, then once in the next.
    async with running_core(settings, jobs=True, migrated=True) as again:
        await _ticks(again, more=2)
        assert await count(again.runtime.engine, again.runtime.tables.announcements) == 2
        await _backdate(again, days=65)  # now in the second period
        await _ticks(again, more=2)
        assert await count(again.runtime.engine, again.runtime.tables.announcements) == 4
        await drained(again.runtime)
    records = await published_all(topic_prefix)
    stale = _stale(records)
    periods = sorted(
        (r["envelope"]["type"], r["envelope"]["data"]["period"])  # type: ignore[index]
        for r in stale
    )
    assert periods == [
        ("deputies.roster.stale", 1),
        ("deputies.roster.stale", 2),
        ("deputies.station.stale", 1),
        ("deputies.station.stale", 2),
    ]
    keys = {r["key"] for r in stale}
    assert keys == {TOWN, station.id}
    assert len(records) == 6  # the township, the station and the four announcements


async def _ticks(*cores: Core, more: int) -> None:
    """Wait until the staleness check has finished ``more`` further times on these instances."""

    def runs() -> int:
        return sum(c.runtime.job_runs["roster_staleness"] for c in cores)

    target = runs() + more

    async def done() -> bool:
        return runs() >= target

    await wait_until(done, within=30)
