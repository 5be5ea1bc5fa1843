"""Alembic wiring shared by the services: one env.py body, programmatic upgrade, kit DDL."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

from kit.db.tables import FIRST_TABLES, append_only_ddl


def alembic_config(script_location: Path, database_url: str) -> Config:
    """Return an Alembic config for a service's migrations folder and database."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


async def upgrade(script_location: Path, database_url: str, revision: str = "head") -> None:
    """Migrate a database to a revision (Alembic runs its own loop, so in a worker thread)."""
    config = alembic_config(script_location, database_url)
    await asyncio.to_thread(command.upgrade, config, revision)


async def downgrade(script_location: Path, database_url: str, revision: str) -> None:
    """Migrate a database back to an earlier revision (for a rollback, and tests across one)."""
    config = alembic_config(script_location, database_url)
    await asyncio.to_thread(command.downgrade, config, revision)


def revision_before(script_location: Path, revision: str) -> str:
    """Return the revision a migration step follows (to test data across that one step)."""
    script = ScriptDirectory.from_config(alembic_config(script_location, "sqlite://"))
    down = script.get_revision(revision).down_revision
    if not isinstance(down, str):
        raise ValueError(f"{revision} does not follow exactly one revision")
    return down


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's ``migrations/env.py``: offline SQL or an online async run."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL", "")
    if context.is_offline_mode():
        context.configure(
            url=url,
            target_metadata=target_metadata,
            literal_binds=True,
            render_as_batch=url.startswith("sqlite"),
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, target_metadata))


async def _run_online(url: str, target_metadata: MetaData) -> None:
    engine = async_engine_from_config(
        {"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    async with engine.connect() as connection:
        await connection.run_sync(_migrate, target_metadata)
    await engine.dispose()


def _migrate(connection: Connection, target_metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def guard_audit_log(op: Operations) -> None:
    """Make the audit log append-only; call it in the migration that creates ``audit_log``."""
    for statement in append_only_ddl(op.get_bind().dialect.name):
        op.execute(statement)


def create_kit_tables(op: Operations) -> None:
    """Create the kit's tables (version 1) and guard the audit log; for a service's first migration."""
    from kit.db.tables import kit_tables, make_metadata

    metadata = make_metadata()
    kit_tables(metadata)
    first = [metadata.tables[name] for name in FIRST_TABLES]
    metadata.create_all(bind=op.get_bind(), tables=first)
    guard_audit_log(op)


def drop_kit_tables(op: Operations) -> None:
    """Drop the kit's tables; the downgrade of ``create_kit_tables``."""
    for name in reversed(FIRST_TABLES):
        op.drop_table(name)


def create_announcements_made(op: Operations) -> None:
    """Create the kit's ``announcements_made`` table (a service's migration after its first)."""
    from kit.db.tables import announcement_table, make_metadata

    metadata = make_metadata()
    announcement_table(metadata).create(bind=op.get_bind())


def drop_announcements_made(op: Operations) -> None:
    """Drop ``announcements_made``; the downgrade of ``create_announcements_made``."""
    op.drop_table("announcements_made")
