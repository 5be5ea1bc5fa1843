"""Unit of work, outbox, inbox and audit log on the embedded SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.envelope import Envelope
from kit.audit import AuditLog
from kit.db import KitTables, create_all, kit_tables, make_engine, make_metadata, make_sessionmaker
from kit.idempotency import IdempotencyKeys, KeyReusedError
from kit.inbox import Inbox
from kit.outbox import Outbox
from kit.uow import UnitOfWork, uow_factory


def envelope(subject: str) -> Envelope[dict[str, Any]]:
    """Return a minimal valid envelope (the store does not look at the data)."""
    return Envelope[dict[str, Any]](
        type="deputies.township.registered",
        source="/services/test",
        subject=subject,
        dataschema="urn:test",
        township="990101001",
        correlationid="c-1",
        data={"name": subject},
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, KitTables]]:
    """A fresh SQLite database file with the kit tables."""
    metadata = make_metadata()
    tables = kit_tables(metadata)
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/kit.db")
    await create_all(engine, metadata)
    yield engine, tables
    await engine.dispose()


async def count(engine: AsyncEngine, sql: str) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text(sql)) or 0)


async def test_commit_writes_the_staged_events_in_order_and_wakes_the_relay(
    store: tuple[AsyncEngine, KitTables],
) -> None:
    engine, tables = store
    outbox = Outbox(table=tables.outbox, service="test", topic_prefix="x.")
    make_uow = uow_factory(make_sessionmaker(engine), outbox)
    async with make_uow() as uow:
        uow.stage(envelope("a"), envelope("b"))
        uow.stage(envelope("c"))
        assert not outbox.wakeup.is_set()
        await uow.commit()
    assert outbox.wakeup.is_set()
    async with engine.connect() as conn:
        rows = (await conn.execute(select(tables.outbox).order_by(tables.outbox.c.seq))).all()
    assert [r.key for r in rows] == ["a", "b", "c"]
    assert {r.topic for r in rows} == {"x.deputies.events"}
    assert rows[0].headers["ce_type"] == "deputies.township.registered"
    assert all(r.published_at is None for r in rows)


async def test_leaving_without_commit_writes_nothing(store: tuple[AsyncEngine, KitTables]) -> None:
    engine, tables = store
    outbox = Outbox(table=tables.outbox, service="test")
    sessionmaker = make_sessionmaker(engine)
    async with UnitOfWork(sessionmaker, outbox) as uow:
        uow.stage(envelope("a"))
    with pytest.raises(RuntimeError):
        async with UnitOfWork(sessionmaker, outbox) as uow:
            uow.stage(envelope("b"))
            raise RuntimeError("handler failed")
    assert await count(engine, "SELECT count(*) FROM outbox") == 0
    assert not outbox.wakeup.is_set()


async def test_the_inbox_claims_each_event_once_per_consumer(
    store: tuple[AsyncEngine, KitTables],
) -> None:
    engine, tables = store
    inbox = Inbox(tables.inbox)
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session:
        first = await inbox.claim(session, "g1", [("e1", "t"), ("e2", "t"), ("e1", "t")])
        again = await inbox.claim(session, "g1", [("e2", "t"), ("e3", "t")])
        other = await inbox.claim(session, "g2", [("e1", "t")])
        await session.commit()
    assert first == {"e1", "e2"}
    assert again == {"e3"}
    assert other == {"e1"}
    async with sessionmaker() as session:
        rolled = await inbox.claim(session, "g1", [("e4", "t")])
        await session.rollback()
    assert rolled == {"e4"}
    assert await count(engine, "SELECT count(*) FROM inbox WHERE event_id = 'e4'") == 0


async def test_the_audit_log_is_append_only(store: tuple[AsyncEngine, KitTables]) -> None:
    engine, tables = store
    audit = AuditLog(tables.audit_log)
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session:
        await audit.record(
            session, actor=None, action="export", resource_type="roster", township="990101001"
        )
        await session.commit()
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(tables.audit_log)) == 1
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"):
            async with engine.begin() as conn:
                await conn.execute(text(statement))


async def test_an_idempotency_key_returns_the_first_answer(
    store: tuple[AsyncEngine, KitTables],
) -> None:
    engine, tables = store
    keys = IdempotencyKeys(tables.idempotency_keys)
    sessionmaker = make_sessionmaker(engine)
    payload = {"title": "修路", "township": "990101001"}
    async with sessionmaker() as session:
        assert await keys.lookup(session, subject="u1", key="k1", payload=payload) is None
        await keys.remember(
            session, subject="u1", key="k1", payload=payload, status=201, body={"id": "c-1"}
        )
        await session.commit()
    async with sessionmaker() as session:
        stored = await keys.lookup(session, subject="u1", key="k1", payload=dict(payload))
        assert stored is not None
        assert (stored.status, stored.body) == (201, {"id": "c-1"})
        assert await keys.lookup(session, subject="u2", key="k1", payload=payload) is None
        with pytest.raises(KeyReusedError):
            await keys.lookup(session, subject="u1", key="k1", payload={"title": "别的"})


async def test_timestamps_come_back_in_utc_with_their_zone(
    store: tuple[AsyncEngine, KitTables],
) -> None:
    engine, tables = store
    audit = AuditLog(tables.audit_log)
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session:
        await audit.record(session, actor=None, action="create", resource_type="x")
        await session.commit()
    async with engine.connect() as conn:
        at = await conn.scalar(select(tables.audit_log.c.at))
    assert at is not None
    assert at.utcoffset() == timedelta(0)
