"""The notify migrations build exactly the declared schema, on PostgreSQL and on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from kit.db import make_engine
from kit.migrate import upgrade
from notify.adapters.tables import make_schema
from notify.bootstrap import MIGRATIONS


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
    url = f"sqlite+aiosqlite:///{tmp_path / 'notify.db'}"
    await upgrade(MIGRATIONS, url)
    assert await _diff(url) == []
