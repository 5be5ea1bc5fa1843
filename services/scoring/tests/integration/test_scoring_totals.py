"""The deputy totals projection: kept by the consumer and by review actions, its events published."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import delete, select

from contracts.vocabulary import ActivityType, Attendance
from scoring.bootstrap import count_uncounted_ledgers
from scoring.testing import events as ev
from scoring.testing.checks import check_ledgers
from scoring.testing.harness import envelope, headers, ingest, running_app, settings_for

pytestmark = pytest.mark.integration

COUNTY = "990101"
TOWN = "990101001"
YEAR = 2026


async def _events(service: Any, event_type: str) -> list[dict[str, Any]]:
    o = service.runtime.tables.outbox
    async with service.runtime.engine.connect() as conn:
        rows = await conn.execute(
            select(o.c.payload).where(o.c.event_type == event_type).order_by(o.c.seq)
        )
        return [json.loads(p)["data"] for (p,) in rows]


async def test_entries_then_a_void_move_the_totals_and_publish_each_change(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    async with running_app(settings, relay=False) as (service, client):
        marks = {"d1": Attendance.present, "d2": Attendance.unexcused_absence}
        await ingest(
            service,
            [
                envelope(ev.township(TOWN)),
                envelope(ev.deputy("d1", TOWN)),
                envelope(ev.deputy("d2", TOWN)),
                envelope(ev.logged("a1", TOWN, ActivityType.inspection, date(YEAR, 3, 2), marks)),
                envelope(ev.suggestion("c1", TOWN, "d1", "d2", on=date(YEAR, 2, 1))),
            ],
        )
        changed = [(e["deputy_id"], e["previous_total"], e["total"]) for e in await _events(
            service, "scoring.score.changed"
        )]  # fmt: skip
        base = changed[0][1]
        d1 = [c for c in changed if c[0] == "d1"]
        assert d1 == [("d1", base, base + 3), ("d1", base + 3, base + 6)]
        graded = await _events(service, "scoring.grade.changed")
        assert {g["deputy_id"] for g in graded if g["previous_grade"] is None} == {"d1", "d2"}
        await check_ledgers(service.services, COUNTY)

        me = headers(settings, "deputy", TOWN, deputy_id="d1")
        admin = headers(settings, "county_admin", COUNTY)
        lines = (await client.get(f"/api/v1/deputies/d1/ledger?year={YEAR}", headers=me)).json()
        entry = next(e for e in lines if e["rule_id"] == "suggestion.lead")
        voided = await client.post(
            f"/api/v1/entries/{entry['entry_id']}/void",
            json={"reason": "重复录入"},
            headers={**admin, "If-Match": '"1"'},
        )
        assert voided.status_code == 200, voided.text
        last = (await _events(service, "scoring.score.changed"))[-1]
        assert (last["deputy_id"], last["previous_total"], last["total"]) == (
            "d1",
            base + 6,
            base + 3,
        )
        card = await client.get(f"/api/v1/deputies/d1/score-card?year={YEAR}", headers=me)
        assert float(card.json()["total"]) == last["total"]
        await check_ledgers(service.services, COUNTY)  # the projection equals the cards again


async def test_ledgers_written_before_the_projection_are_counted_at_start(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    async with running_app(settings, relay=False) as (service, _client):
        marks = {"d1": Attendance.present, "d2": Attendance.unexcused_absence}
        await ingest(
            service,
            [
                envelope(ev.township(TOWN)),
                envelope(ev.deputy("d1", TOWN)),
                envelope(ev.deputy("d2", TOWN)),
                envelope(ev.logged("a1", TOWN, ActivityType.inspection, date(YEAR, 3, 2), marks)),
            ],
        )
        totals = service.services.tables.deputy_totals
        async with service.runtime.engine.begin() as conn:  # as a database from before 0003
            await conn.execute(delete(totals))
    assert await count_uncounted_ledgers(settings) == 1
    async with running_app(settings, relay=False) as (service, _client):
        await check_ledgers(service.services, COUNTY)
        async with service.runtime.engine.connect() as conn:
            rows = (await conn.execute(select(totals.c.deputy_id, totals.c.total))).all()
        assert {d: float(t) for d, t in rows} == {"d1": 63.0, "d2": 58.0}
    assert await count_uncounted_ledgers(settings) == 0  # counted once
