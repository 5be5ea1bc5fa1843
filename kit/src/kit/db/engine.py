"""Async engines for PostgreSQL (asyncpg) and SQLite (aiosqlite), and their sessions."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import MetaData, event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """Create the engine for a database URL; SQLite gets WAL, foreign keys and a busy timeout."""
    parsed = make_url(url)
    codec = {"json_serializer": _json_text, "json_deserializer": orjson.loads}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30}, **codec)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, **codec
    )
    ping_when_idle(engine)
    return engine


#: A pooled connection idle longer than this is pinged before it is handed out.
IDLE_PING_SECONDS = 1.0


def ping_when_idle(engine: AsyncEngine, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    """Ping a pooled connection on checkout only when it sat idle in the pool for a while.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout; on asyncpg that is three round
    trips (BEGIN, an empty query, ROLLBACK) per request. A connection that was in use a moment
    ago is alive unless the server went away in between, and then the statement fails, the
    request gets its 503 and the pool is invalidated: the next checkout reconnects.
    """
    sync = engine.sync_engine
    dialect = sync.dialect

    def used(_: Any, record: Any, *__: Any) -> None:
        record.info["kit_used_at"] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("kit_used_at", 0.0) <= idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool drops the connection and connects again
            raise exc.DisconnectionError(str(error)) from error
        record.info["kit_used_at"] = time.monotonic()

    event.listen(sync.pool, "connect", used)
    event.listen(sync.pool, "checkin", used)
    event.listen(sync.pool, "checkout", checkout)


def _json_text(value: Any) -> str:
    """Return JSON column values as text with orjson (UTF-8 kept, several times json.dumps' speed)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Create the session factory; objects stay usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def create_all(engine: AsyncEngine, metadata: MetaData) -> None:
    """Create every table of a metadata (tests and tools; services migrate with Alembic)."""
    from kit.db.tables import append_only_ddl

    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        if "audit_log" in metadata.tables:
            for statement in append_only_ddl(engine.dialect.name):
                await conn.execute(text(statement))
