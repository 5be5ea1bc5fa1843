"""Queued rows and claims of a unit of work on SQLite: plain statements, the same outcomes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Column, ForeignKey, Integer, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from kit.audit import AuditLog
from kit.db import KitTables, create_all, kit_tables, make_engine, make_metadata, make_sessionmaker
from kit.errors import ConcurrentRequestError
from kit.idempotency import IdempotencyKeys
from kit.outbox import Outbox
from kit.uow import UnitOfWork

Store = tuple[AsyncEngine, KitTables, Table, Table]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    metadata = make_metadata()
    tables = kit_tables(metadata)
    parents = Table("parents", metadata, Column("id", String(36), primary_key=True))
    children = Table(
        "children",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("parent_id", String(36), ForeignKey("parents.id"), nullable=False),
        Column("position", Integer, nullable=False, default=7),
    )
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/writes.db")
    await create_all(engine, metadata)
    yield engine, tables, parents, children
    await engine.dispose()


async def count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


class Who:
    """Who acted."""

    subject = "u-1"
    roles = frozenset({"county_admin"})


async def test_queued_rows_are_written_at_commit_in_order_with_defaults(store: Store) -> None:
    engine, tables, parents, children = store
    uow = UnitOfWork(make_sessionmaker(engine), Outbox(table=tables.outbox, service="t"))
    async with uow:
        uow.add(parents, {"id": "p1"})
        uow.add_all(children, [{"parent_id": "p1"}, {"parent_id": "p1", "position": 2}])
        AuditLog(tables.audit_log).add(uow, actor=Who(), action="create", resource_type="p")
        assert await count(engine, parents) == 0  # queued, not written yet
        await uow.commit()
    assert await count(engine, parents) == 1
    assert await count(engine, tables.audit_log) == 1
    async with engine.connect() as conn:
        positions = sorted((await conn.execute(select(children.c.position))).scalars())
    assert positions == [2, 7]


async def test_a_taken_idempotency_key_is_409_and_nothing_is_written(store: Store) -> None:
    engine, tables, parents, _ = store
    keys = IdempotencyKeys(tables.idempotency_keys)
    outbox = Outbox(table=tables.outbox, service="t")
    async with UnitOfWork(make_sessionmaker(engine), outbox) as uow:
        keys.claim(uow, subject="u-1", key="key-1", payload={}, status=201, body={"id": "p0"})
        await uow.commit()
    with pytest.raises(ConcurrentRequestError):
        async with UnitOfWork(make_sessionmaker(engine), outbox) as uow:
            uow.add(parents, {"id": "p2"})
            keys.claim(uow, subject="u-1", key="key-1", payload={}, status=201, body={"id": "p2"})
            await uow.commit()
    assert await count(engine, parents) == 0
    async with UnitOfWork(make_sessionmaker(engine), outbox) as uow:
        stored = await keys.lookup(uow.session, subject="u-1", key="key-1", payload={})
    assert stored is not None
    assert stored.body == {"id": "p0"}


async def test_after_commit_effects_run_once_committed_never_after_a_failed_commit(
    store: Store,
) -> None:
    engine, tables, parents, _ = store
    outbox = Outbox(table=tables.outbox, service="t")
    ran: list[str] = []
    async with UnitOfWork(make_sessionmaker(engine), outbox) as uow:
        uow.add(parents, {"id": "p1"})
        uow.after_commit(lambda: ran.append("first"))
        assert ran == []  # not before the commit
        await uow.commit()
    assert ran == ["first"]
    with pytest.raises(Exception, match="UNIQUE"):  # the same key again: the commit fails
        async with UnitOfWork(make_sessionmaker(engine), outbox) as uow:
            uow.add(parents, {"id": "p1"})
            uow.after_commit(lambda: ran.append("failed"))
            await uow.commit()
    async with UnitOfWork(make_sessionmaker(engine), outbox) as uow:
        uow.after_commit(lambda: ran.append("rolled back"))
        await uow.rollback()
        await uow.commit()  # nothing registered since the rollback
    assert ran == ["first"]
