"""``python -m scoring`` killed (SIGKILL) during a backlog, then restarted: nothing lost or doubled.

The backlog is a generated year with parking and redeliveries. The process is killed while
it consumes (some batches committed, the rest not), restarted, and left to finish: every event
is a fact once, every entry is there once with its one ``points.recorded`` event, and each
ledger and the totals equal a derivation from scratch.
"""

from __future__ import annotations

import signal

import pytest
from sqlalchemy import func, select

from kit.testing import count, free_port, kill_hard, service_process, wait_until
from scoring.bootstrap import migrate
from scoring.handlers.consume import GROUP
from scoring.testing.checks import check_ledgers
from scoring.testing.harness import SECRET, caught_up, produce, settings_for
from scoring.testing.history import mixed_history
from scoring.wiring import wire

pytestmark = pytest.mark.integration

COUNTY = "990101"
BACKLOG = 4000


async def test_a_consumer_killed_mid_backlog_loses_and_doubles_nothing(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix, consumer_max_records=200)
    history = mixed_history(404, BACKLOG, towns=4, deputies=12)
    await produce(settings, history.events)
    await migrate(settings)
    core = wire(settings)  # to read the database; it consumes nothing itself
    env = {
        "SCORING_DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "KAFKA_TOPIC_PREFIX": topic_prefix,
        "SCORING_HTTP_PORT": str(free_port()),
        "JWT_SECRET": SECRET,
        "CONSUMER_MAX_RECORDS": "200",
        "RELAY_POLL_SECONDS": "0.2",
    }
    engine, tables = core.runtime.engine, core.services.tables
    try:
        async with service_process("scoring", env) as first:

            async def midway() -> bool:
                return await count(engine, tables.facts) >= history.distinct // 4

            await wait_until(midway, within=300, interval=0.05)
            assert await kill_hard(first) == -signal.SIGKILL
        kept = await count(engine, tables.facts)
        assert kept < history.distinct  # killed mid-backlog
        async with service_process("scoring", {**env, "SCORING_HTTP_PORT": str(free_port())}):
            await wait_until(lambda: caught_up(settings, GROUP), within=600, interval=0.5)
        assert await count(engine, tables.facts) == history.distinct
        assert await count(engine, tables.parked) == 0
        e = tables.entries
        async with engine.connect() as conn:
            rows = int(await conn.scalar(select(func.count()).select_from(e)) or 0)
            distinct = int(await conn.scalar(select(func.count(func.distinct(e.c.entry_id)))) or 0)
        assert rows == distinct > 1000  # none doubled
        outbox = core.runtime.tables.outbox
        recorded = outbox.c.event_type == "scoring.points.recorded"
        assert await count(engine, outbox, recorded) == rows  # one event per entry
        assert await check_ledgers(core.services, COUNTY) == rows  # equal to derived anew
        print(f"crash: killed after {kept} of {history.distinct} facts; {rows} entries")
    finally:
        await core.runtime.stop()
