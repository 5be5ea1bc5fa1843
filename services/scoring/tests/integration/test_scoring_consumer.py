"""Deputies and cases events on real Kafka become ledger entries in PostgreSQL, parked until known."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from contracts.envelope import Envelope
from contracts.vocabulary import ActivityType, Attendance
from kit.testing import count, wait_until
from scoring.handlers.consume import GROUP
from scoring.testing import events as ev
from scoring.testing.harness import caught_up, envelope, produce, running_core, settings_for
from scoring.wiring import Core

pytestmark = pytest.mark.integration

TOWN = "990101001"
PRESENT = Attendance.present


async def _rules(core: Core) -> list[tuple[Any, ...]]:
    r = core.services.tables.entries.c
    async with core.runtime.engine.connect() as conn:
        rows = await conn.execute(
            select(r.deputy_id, r.rule_id, r.points, r.entry_id).order_by(r.deputy_id, r.rule_id)
        )
        return [tuple(x) for x in rows]


async def _outboxed(core: Core) -> int:
    o = core.runtime.tables.outbox
    return await count(core.runtime.engine, o, o.c.event_type == "scoring.points.recorded")


async def test_events_become_entries_an_unknown_deputy_parks_and_redelivery_changes_nothing(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    first: list[Envelope[Any]] = [
        envelope(ev.township(TOWN)),
        envelope(ev.deputy("d1", TOWN)),
        envelope(ev.suggestion("c1", TOWN, "d1", on=date(2026, 2, 1))),
        # d2 is not on the roster yet: the whole activity waits for d2
        envelope(
            ev.logged(
                "a1",
                TOWN,
                ActivityType.inspection,
                date(2026, 3, 2),
                {"d1": PRESENT, "d2": PRESENT},
            )
        ),
    ]
    async with running_core(settings) as core:
        tables = core.services.tables
        engine = core.runtime.engine
        await produce(settings, first)
        await wait_until(lambda: _has(engine, tables.parked, 1), within=60)
        await wait_until(lambda: _has(engine, tables.entries, 1), within=60)
        assert [(d, rule) for d, rule, *_ in await _rules(core)] == [("d1", "suggestion.lead")]
        registry = core.runtime.registry
        assert registry.get_sample_value("scoring_parked_events") == 1

        await produce(settings, [envelope(ev.deputy("d2", TOWN))])
        await wait_until(lambda: _has(engine, tables.parked, 0), within=60)
        rows = await _rules(core)
        assert [(d, rule, float(p)) for d, rule, p, _ in rows] == [
            ("d1", "activity.inspection.present", 3.0),
            ("d1", "suggestion.lead", 3.0),
            ("d2", "activity.inspection.present", 3.0),
        ]
        assert await _outboxed(core) == 3
        assert registry.get_sample_value("scoring_parked_events") == 0
        assert (
            registry.get_sample_value("scoring_entries_recorded_total", {"category": "activity"})
            == 2
        )
        assert registry.get_sample_value("scoring_points_awarded_total", {"township": TOWN}) == 9
        assert await count(engine, tables.rule_sets) == 1  # the seed adopted for 2026

        # the same events again: once the group has committed past them, nothing changed
        await produce(settings, first)
        await wait_until(lambda: caught_up(settings, GROUP), within=60)
        assert await _rules(core) == rows
        assert await _outboxed(core) == 3
        assert await count(engine, tables.parked) == 0


async def _has(engine: Any, table: Any, n: int) -> bool:
    return await count(engine, table) == n
