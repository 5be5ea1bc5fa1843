"""A batch whose commit fails is applied again: its entries are counted once, after the commit.

The failure is real: a PostgreSQL trigger on ``entries`` raises the first time rows are
inserted (a sequence, which a rollback does not undo, tells the first time from the others).
The runner retries the batch; the metrics must show each entry once.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from contracts.vocabulary import ActivityType, Attendance
from kit.testing import count, wait_until
from scoring.bootstrap import migrate
from scoring.handlers.consume import GROUP
from scoring.testing import events as ev
from scoring.testing.harness import caught_up, envelope, produce, running_core, settings_for

pytestmark = pytest.mark.integration

TOWN = "990101001"

FAIL_ONCE = [
    "CREATE SEQUENCE entries_fail_once",
    """CREATE FUNCTION entries_fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF nextval('entries_fail_once') = 1 THEN
            RAISE EXCEPTION 'injected: the first insert into entries fails';
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER entries_fail_once AFTER INSERT ON entries
    FOR EACH STATEMENT EXECUTE FUNCTION entries_fail_once()""",
]


async def test_a_batch_retried_after_a_failed_commit_counts_its_entries_once(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix, consumer_retry_backoff_seconds=0.05)
    await migrate(settings)
    history = [
        envelope(ev.township(TOWN)),
        envelope(ev.deputy("d1", TOWN)),
        envelope(ev.suggestion("c1", TOWN, "d1", on=date(2026, 2, 1))),
        envelope(
            ev.logged(
                "a1", TOWN, ActivityType.inspection, date(2026, 3, 2), {"d1": Attendance.present}
            )
        ),
    ]
    await produce(settings, history)
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            for statement in FAIL_ONCE:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()
    async with running_core(settings, relay=False) as core:
        engine, tables = core.runtime.engine, core.services.tables
        await wait_until(lambda: caught_up(settings, GROUP), within=90)
        async with engine.connect() as conn:
            calls = await conn.scalar(text("SELECT last_value FROM entries_fail_once"))
        assert int(calls or 0) >= 2  # it failed once, then a retry committed
        assert await count(engine, tables.entries) == 2
        registry = core.runtime.registry

        def entries(category: str) -> float | None:
            return registry.get_sample_value(
                "scoring_entries_recorded_total", {"category": category}
            )

        assert (entries("activity"), entries("suggestion")) == (1, 1)
        awarded = registry.get_sample_value("scoring_points_awarded_total", {"township": TOWN})
        assert awarded == 6  # 3 for the inspection, 3 for the suggestion; each once
        assert registry.get_sample_value("scoring_years_adopted_total") == 1
