"""The shared Alembic wiring migrates a real PostgreSQL database to exactly the kit's metadata."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from kit.db import kit_tables, make_engine, make_metadata
from kit.migrate import upgrade

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).with_name("sample_migrations")


async def test_upgrade_creates_the_kit_tables_as_declared(database_url: str) -> None:
    await upgrade(SAMPLE, database_url)
    await upgrade(SAMPLE, database_url)  # a second run is a no-op
    metadata = make_metadata()
    kit_tables(metadata)
    engine = make_engine(database_url)
    try:

        def diff(conn: Connection) -> list[object]:
            return list(compare_metadata(MigrationContext.configure(conn), metadata))

        async with engine.connect() as conn:
            assert await conn.run_sync(diff) == []
            version = await conn.scalar(text("SELECT version_num FROM alembic_version"))
        assert version == "0002"
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO audit_log (at, actor, roles, action, resource_type, outcome, detail)"
                    " VALUES (now(), 'u', '', 'create', 'x', 'ok', '{}')"
                )
            )
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as conn:
                await conn.execute(text("DELETE FROM audit_log"))
    finally:
        await engine.dispose()
