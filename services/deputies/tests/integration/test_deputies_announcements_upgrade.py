"""An announcement made before the upgrade to the kit's announcements_made is not made again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from deputies.adapters.migrations import MIGRATIONS
from deputies.domain.rules import stale_period
from deputies.jobs import Thresholds, check_staleness
from deputies.testing.harness import outbox_types, running_core, settings_for
from kit.db import make_engine
from kit.migrate import revision_before, upgrade

pytestmark = pytest.mark.integration

STEP = "0002_announced"  # the migration that moves announcements into the kit's table

MADE, FRESH = "990101001", "990101002"


async def test_an_announcement_made_before_the_upgrade_is_not_made_again(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    created = datetime.now(UTC) - timedelta(days=40)
    period = stale_period(created, datetime.now(UTC), 30)
    assert period is not None
    key = f"{MADE}:{period.basis.isoformat()}:{period.number}"
    announced_at = created + timedelta(days=31)
    await upgrade(MIGRATIONS, database_url, revision_before(MIGRATIONS, STEP))
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            for code in (MADE, FRESH):
                await conn.execute(
                    text(
                        "INSERT INTO townships (code, name, kind, created_at)"
                        " VALUES (:code, :name, 'town', :at)"
                    ),
                    {"code": code, "name": f"镇{code}", "at": created},
                )
            # what the service's own table held before the upgrade
            await conn.execute(
                text(
                    "INSERT INTO announcements (kind, key, announced_at)"
                    " VALUES ('roster_stale', :key, :at)"
                ),
                {"key": key, "at": announced_at},
            )
    finally:
        await engine.dispose()
    await upgrade(MIGRATIONS, database_url)
    async with running_core(settings, relay=False, migrated=True) as core:
        made = core.runtime.tables.announcements
        async with core.runtime.engine.connect() as conn:
            rows = (await conn.execute(select(made))).all()
            old_table = await conn.scalar(text("SELECT to_regclass('announcements')"))
        assert [(r.scope, r.key, r.made_at) for r in rows] == [("roster_stale", key, announced_at)]
        assert old_table is None
        thresholds = Thresholds(roster_days=30, station_days=30)
        assert await check_staleness(core.services, thresholds) == 1  # only the fresh township
        assert await check_staleness(core.services, thresholds) == 0
        assert await outbox_types(core.runtime.engine, core.runtime.tables.outbox) == [
            "deputies.roster.stale"
        ]
        outbox = core.runtime.tables.outbox
        async with core.runtime.engine.connect() as conn:
            keys = (await conn.execute(select(outbox.c.key))).scalars().all()
        assert keys == [FRESH]
