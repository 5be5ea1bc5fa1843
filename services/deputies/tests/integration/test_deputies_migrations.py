"""The migrations build exactly the declared schema, on PostgreSQL and on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text

from deputies.adapters.migrations import MIGRATIONS
from deputies.adapters.tables import make_schema
from kit.db import make_engine
from kit.migrate import upgrade


async def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    metadata = make_schema().metadata
    try:

        def diff(conn: Connection) -> list[object]:
            return list(compare_metadata(MigrationContext.configure(conn), metadata))

        async with engine.connect() as conn:
            return await conn.run_sync(diff)
    finally:
        await engine.dispose()


@pytest.mark.integration
async def test_postgresql_is_migrated_to_the_declared_schema_twice_safely(
    database_url: str,
) -> None:
    await upgrade(MIGRATIONS, database_url)
    await upgrade(MIGRATIONS, database_url)
    assert await _diff(database_url) == []


async def test_sqlite_is_migrated_to_the_declared_schema(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'deputies.db'}"
    await upgrade(MIGRATIONS, url)
    assert await _diff(url) == []


@pytest.mark.integration
async def test_flags_announced_before_0002_stand_with_their_event(database_url: str) -> None:
    await upgrade(MIGRATIONS, database_url, "0001")
    engine = make_engine(database_url)
    payload = '{"id": "e-1", "data": {"session_activity_ids": ["s1", "s2"]}}'
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO townships (code, name, kind, created_at)"
                    " VALUES ('990101001', '东湖镇', 'town', now())"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO deputies (id, township, name, gender, level_county,"
                    " level_township, term, elected_by, status, status_reason, status_since,"
                    " version, created_at, updated_at) VALUES ('d1', '990101001', '李娜',"
                    " 'female', false, true, 18, 'general', 'active', 'elected', '2021-12-28',"
                    " 1, now(), now())"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO announcements (kind, key, announced_at)"
                    " VALUES ('termination_flag', 'd1:township:18', now())"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO outbox (event_id, event_type, topic, key, headers, payload,"
                    " created_at) VALUES ('e-1', 'deputies.mandate.termination_flagged',"
                    " 'deputies.events', 'd1', '{}', :payload, now())"
                ),
                {"payload": payload},
            )
        await upgrade(MIGRATIONS, database_url)
        async with engine.connect() as conn:
            flags = (
                await conn.execute(
                    text(
                        "SELECT deputy_id, level, term, state, event_id, session_ids FROM termination_flags"
                    )
                )
            ).all()
        assert [tuple(f) for f in flags] == [
            ("d1", "township", 18, "flagged", "e-1", '["s1", "s2"]')
        ]
    finally:
        await engine.dispose()
