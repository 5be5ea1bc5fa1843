"""Scheduled checks on the embedded store: a verification resets staleness; each period once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from deputies.domain.model import StationKind, TownshipKind
from deputies.handlers.stations import CreateStation, UpdateStation, create_station, update_station
from deputies.handlers.townships import (
    RegisterTownship,
    VerifyRoster,
    register_township,
    verify_roster,
)
from deputies.jobs import Thresholds, check_staleness
from deputies.testing.actors import caller, county_admin
from deputies.testing.harness import outbox_types, sqlite_core
from deputies.wiring import Core

TOWN = "990101001"
T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
DAYS = Thresholds(roster_days=180, station_days=90)


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    async with sqlite_core(str(tmp_path / "deputies.db")) as core:
        yield core


def at(core: Core, days: float) -> Core:
    """Return the instance with its clock set ``days`` after T0."""
    return replace(core, services=replace(core.services, clock=lambda: T0 + timedelta(days=days)))


async def _stale_events(core: Core) -> list[str]:
    types = await outbox_types(core.runtime.engine, core.runtime.tables.outbox)
    return [t for t in types if t.endswith(".stale")]


async def test_each_stale_period_is_announced_once_and_verification_resets_it(core: Core) -> None:
    staff = caller("township_staff", TOWN)
    start = at(core, 0).services
    await register_township(
        start, county_admin(), RegisterTownship(TOWN, "东湖镇", TownshipKind.town)
    )
    station = await create_station(
        start,
        staff,
        CreateStation(TOWN, "东湖镇代表之家", StationKind.home, "镇政府一楼", "单月15日"),
    )
    assert await check_staleness(at(core, 89).services, DAYS) == 0
    assert await check_staleness(at(core, 91).services, DAYS) == 1  # the station
    assert await check_staleness(at(core, 100).services, DAYS) == 0
    await update_station(
        at(core, 120).services,
        staff,
        UpdateStation(station.id, station.version, content="新的接待安排"),
    )
    assert await check_staleness(at(core, 181).services, DAYS) == 1  # the roster, never verified
    await verify_roster(at(core, 200).services, staff, VerifyRoster(TOWN))
    assert await check_staleness(at(core, 250).services, DAYS) == 1  # station: 90 days after 120
    assert await check_staleness(at(core, 290).services, DAYS) == 0  # same period, already told
    assert await check_staleness(at(core, 381).services, DAYS) == 2  # roster after 200, station
    assert await check_staleness(at(core, 381).services, DAYS) == 0
    assert await _stale_events(core) == [
        "deputies.station.stale",
        "deputies.roster.stale",
        "deputies.station.stale",
        "deputies.roster.stale",
        "deputies.station.stale",
    ]
