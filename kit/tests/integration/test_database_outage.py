"""The relay resumes as soon as the database answers again, not when its backoff runs out."""

from __future__ import annotations

import time

import asyncpg
import pytest
from kit_harness import event, make_schema, settings_for, start_runtime
from sqlalchemy import select
from sqlalchemy.engine import make_url

from kit.runtime import build_runtime
from kit.testing import wait_until

pytestmark = pytest.mark.integration


async def _admin(database_url: str) -> asyncpg.Connection:
    url = make_url(database_url)
    dsn = url.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    return await asyncpg.connect(dsn)


async def test_rows_staged_after_a_database_outage_are_published_well_before_the_backoff_ends(
    database_url: str, topic_prefix: str
) -> None:
    schema = make_schema()
    settings = settings_for(database_url, topic_prefix, relay_poll_seconds=1.0)
    runtime = await start_runtime(settings, schema, [])
    writer = build_runtime(settings, metadata=schema.metadata)  # another process's commits
    name = make_url(database_url).database
    admin = await _admin(database_url)
    outbox = runtime.tables.outbox

    def failures() -> float:
        return (
            runtime.registry.get_sample_value("kit_relay_failures_total", {"service": "kittest"})
            or 0.0
        )

    try:

        async def leading() -> bool:
            return runtime.relay.is_leader

        await wait_until(leading)
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )

        async def backing_off_eight_seconds() -> bool:  # waits of 1, 2 and 4 s are behind it
            return failures() >= 4

        await wait_until(backing_off_eight_seconds, within=30)
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        async with writer.uow() as uow:
            uow.stage(event("agg-1", "after the outage"))
            await uow.commit()
        staged = time.monotonic()

        async def published() -> bool:
            async with writer.engine.connect() as conn:
                return await conn.scalar(select(outbox.c.published_at)) is not None

        await wait_until(published, within=20)
        late = time.monotonic() - staged
        assert late < 5.0, f"published {late:.1f} s after the database returned"
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
        await writer.engine.dispose()
        await runtime.stop()
