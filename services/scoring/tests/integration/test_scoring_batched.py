"""The batched consumer writes what one event at a time writes, on real PostgreSQL and Kafka.

A generated year (parking, corrections into the next year, own marks, caps, redeliveries) is
applied one event per transaction and in batches of random sizes; every table must be equal,
each ledger must equal ``derive`` over the stored facts and the totals projection the cards.
Then the same history goes through Kafka and the kit's runner (fetches of mixed types).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, select

from contracts.envelope import Envelope, RawEnvelope
from kit.testing import count, fresh_database, wait_until
from scoring.handlers.consume import GROUP, apply_events
from scoring.testing import events as ev
from scoring.testing.checks import check_ledgers, stored_state
from scoring.testing.harness import (
    caught_up,
    envelope,
    produce,
    running_app,
    running_core,
    settings_for,
)
from scoring.testing.history import mixed_history
from scoring.wiring import Core

pytestmark = pytest.mark.integration

COUNTY = "990101"


def _raw(e: Envelope[Any]) -> RawEnvelope:
    return RawEnvelope.model_validate(e.model_dump(mode="json"))


async def _feed(service: Any, events: Sequence[Envelope[Any]], sizes: random.Random | None) -> None:
    """Apply events in transactions of one (``sizes`` None) or of random sizes; ids seen skip."""
    svc = service.services
    seen: set[str] = set()
    i = 0
    while i < len(events):
        n = 1 if sizes is None else sizes.choice((1, 2, 7, 40, 150, 400))
        chunk = []
        for e in events[i : i + n]:
            if str(e.id) not in seen:  # what the inbox does
                seen.add(str(e.id))
                chunk.append(_raw(e))
        i += n
        if chunk:
            async with svc.uow() as uow:
                await apply_events(svc, uow, chunk)
                await uow.commit()


async def _outboxed(service: Any) -> dict[str, int]:
    o = service.runtime.tables.outbox
    async with service.runtime.engine.connect() as conn:
        rows = await conn.execute(select(o.c.event_type))
        found: dict[str, int] = {}
        for (t,) in rows:
            found[t] = found.get(t, 0) + 1
        return found


async def test_batches_of_any_size_write_what_one_event_at_a_time_writes(
    database_url: str, topic_prefix: str
) -> None:
    history = mixed_history(20261130, 800)
    assert len(history.events) > history.distinct  # redeliveries are in
    one = settings_for(database_url, topic_prefix)
    async with running_app(one, relay=False) as (single, _):
        await _feed(single, history.events, None)
        expected = await stored_state(single.runtime.engine, single.services.tables)
        checked = await check_ledgers(single.services, COUNTY)
        events_one = await _outboxed(single)
    async with fresh_database() as other:
        many = settings_for(other, topic_prefix)
        async with running_app(many, relay=False) as (batched, _):
            await _feed(batched, history.events, random.Random(5))
            got = await stored_state(batched.runtime.engine, batched.services.tables)
            assert await check_ledgers(batched.services, COUNTY) == checked
            events_many = await _outboxed(batched)
            registry = batched.runtime.registry
            assert (registry.get_sample_value("scoring_batch_events_count") or 0) < len(
                history.events
            ) / 10
    for table in expected:
        assert got[table] == expected[table], table
    assert events_many["scoring.points.recorded"] == events_one["scoring.points.recorded"]
    assert events_many["scoring.score.changed"] <= events_one["scoring.score.changed"]
    assert events_many["scoring.grade.changed"] >= 1
    assert checked > 500
    assert [r[:3] for r in expected["rule_sets"]] == [(COUNTY, 2026, 1), (COUNTY, 2027, 1)]
    assert expected["parked"] == []  # everything parked was released
    assert any(e[4] == "reversal" for e in expected["entries"])  # corrections reversed
    assert len(expected["facts"]) == history.distinct


async def test_the_runner_feeds_mixed_fetches_and_redeliveries_change_nothing(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    history = mixed_history(7, 1200)
    await produce(settings, history.events)
    async with running_core(settings, relay=False) as core:
        await wait_until(lambda: caught_up(settings, GROUP), within=300, interval=0.5)
        facts = core.services.tables.facts
        assert await count(core.runtime.engine, facts) == history.distinct
        assert await count(core.runtime.engine, core.services.tables.parked) == 0
        await check_ledgers(core.services, COUNTY)
        before = await stored_state(core.runtime.engine, core.services.tables)
        await produce(settings, history.events[:300])  # redelivered: nothing changes
        await wait_until(lambda: caught_up(settings, GROUP), within=120, interval=0.5)
        assert await stored_state(core.runtime.engine, core.services.tables) == before
        registry = core.runtime.registry
        calls = registry.get_sample_value("scoring_batch_events_count") or 0
        assert 0 < calls < history.distinct / 5  # mixed fetches went in few calls
        await _changes_are_published(core)


async def _changes_are_published(core: Core) -> None:
    o = core.runtime.tables.outbox
    async with core.runtime.engine.connect() as conn:
        kinds = {t for (t,) in await conn.execute(select(o.c.event_type).distinct())}
    assert {"scoring.score.changed", "scoring.grade.changed"} <= kinds


async def test_a_batch_of_known_deputies_deeds_is_three_statements(
    database_url: str, topic_prefix: str
) -> None:
    """The batch path's round trips: the locks, one read, the commit's write (issue 12)."""
    town = f"{COUNTY}001"
    people = [f"rt-{n}" for n in range(5)]
    roster = [envelope(ev.township(town)), *(envelope(ev.deputy(d, town)) for d in people)]
    day = date(2026, 6, 1)
    warm = [envelope(ev.suggestion("warm", town, people[0], on=day))]
    filed = [envelope(ev.suggestion(f"rt{n}", town, people[n % 5], on=day)) for n in range(10)]
    replies = [envelope(ev.replied(f"rt{n}", town, (people[n % 5],), on=day)) for n in range(10)]
    async with running_app(settings_for(database_url, topic_prefix), relay=False) as (app, _):
        svc = app.services
        for batch in (roster, warm):  # the roster, then the seed adopted for 2026
            async with svc.uow() as uow:
                await apply_events(svc, uow, [_raw(e) for e in batch])
                await uow.commit()
        statements: list[str] = []

        def seen(_c: Any, _cur: Any, sql: str, *_: Any) -> None:
            statements.append(sql)

        engine = app.runtime.engine.sync_engine
        event.listen(engine, "before_cursor_execute", seen)
        try:
            for batch in (filed, replies):
                statements.clear()
                async with svc.uow() as uow:
                    await apply_events(svc, uow, [_raw(e) for e in batch])
                    await uow.commit()
                assert len(statements) == 3, statements
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        e = svc.tables.entries
        async with app.runtime.engine.connect() as conn:
            subjects = list((await conn.execute(select(e.c.subject))).scalars())
    assert sum(s.startswith("case:rt") for s in subjects) >= 20  # filed and replied: written
