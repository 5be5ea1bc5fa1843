"""A unit of work's queued rows, claims and events: one statement on PostgreSQL, all or nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from kit_harness import event as an_event
from sqlalchemy import Column, ForeignKey, Integer, String, Table, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from kit.db import KitTables, create_all, kit_tables, make_engine, make_metadata, make_sessionmaker
from kit.errors import ConcurrentRequestError
from kit.outbox import Outbox
from kit.uow import UnitOfWork

pytestmark = pytest.mark.integration


class Store:
    """The kit tables plus a parent and a child table (a foreign key between them)."""

    def __init__(self, engine: AsyncEngine, tables: KitTables, parents: Table, children: Table):
        self.engine = engine
        self.tables = tables
        self.parents = parents
        self.children = children
        self.outbox = Outbox(table=tables.outbox, service="writes", topic_prefix="x.")

    def uow(self) -> UnitOfWork:
        return UnitOfWork(make_sessionmaker(self.engine), self.outbox)

    async def count(self, table: Table) -> int:
        async with self.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    metadata = make_metadata()
    tables = kit_tables(metadata)
    parents = Table("parents", metadata, Column("id", String(36), primary_key=True))
    children = Table(
        "children",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("parent_id", String(36), ForeignKey("parents.id"), nullable=False),
        Column("position", Integer, nullable=False, default=0),
    )
    engine = make_engine(database_url)
    await create_all(engine, metadata)
    yield Store(engine, tables, parents, children)
    await engine.dispose()


def _statements(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []

    def before(_c: Any, _cur: Any, sql: str, *_: Any) -> None:
        seen.append(sql.split()[0].upper())

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    return seen


async def test_rows_claims_events_and_notify_go_in_one_statement(
    store: Store, database_url: str
) -> None:
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    listener = await asyncpg.connect(dsn)
    woken = asyncio.Event()
    await listener.add_listener(store.outbox.channel, lambda *_: woken.set())
    seen = _statements(store.engine)
    try:
        async with store.uow() as uow:
            uow.add(
                store.children, {"parent_id": "p1", "position": 1}
            )  # the child before its parent
            uow.add(store.parents, {"id": "p1"})
            uow.add(store.children, {"parent_id": "p1"})  # a default filled in (position 0)
            uow.claim(
                store.tables.idempotency_keys,
                {
                    "subject": "u",
                    "key": "k1",
                    "request_hash": "h",
                    "status": 201,
                    "body": {"id": "p1"},
                    "created_at": an_event("a", "x").time,
                },
                ConcurrentRequestError("taken"),
            )
            uow.stage(an_event("a", "one"), an_event("a", "two"))
            await uow.commit()
        await asyncio.wait_for(woken.wait(), 10)
    finally:
        await listener.close()
    assert seen.count("WITH") == 1, seen  # everything queued went in one statement
    assert await store.count(store.parents) == 1
    assert await store.count(store.children) == 2
    assert await store.count(store.tables.idempotency_keys) == 1
    async with store.engine.connect() as conn:
        rows = (
            await conn.execute(select(store.tables.outbox).order_by(store.tables.outbox.c.seq))
        ).all()
        positions = sorted((await conn.execute(select(store.children.c.position))).scalars())
    assert len(rows) == 2
    assert [r.topic for r in rows] == ["x.deputies.events", "x.deputies.events"]
    assert rows[0].headers["ce_type"] == "deputies.township.registered"
    assert positions == [0, 1]


async def test_a_taken_key_raises_its_error_and_writes_nothing(store: Store) -> None:
    row = {
        "subject": "u",
        "key": "k1",
        "request_hash": "h",
        "status": 201,
        "body": {"id": "p0"},
        "created_at": an_event("a", "x").time,
    }
    async with store.uow() as uow:
        uow.claim(store.tables.idempotency_keys, row, ConcurrentRequestError("taken"))
        await uow.commit()
    with pytest.raises(ConcurrentRequestError):
        async with store.uow() as uow:
            uow.add(store.parents, {"id": "p2"})
            uow.claim(store.tables.idempotency_keys, row, ConcurrentRequestError("taken"))
            uow.stage(an_event("b", "lost"))
            await uow.commit()
    assert await store.count(store.parents) == 0
    assert await store.count(store.tables.outbox) == 0


async def test_many_rows_go_in_one_statement_of_the_same_text(store: Store) -> None:
    seen: list[str] = []

    def before(_c: Any, _cur: Any, sql: str, *_: Any) -> None:
        seen.append(sql)

    event.listen(store.engine.sync_engine, "before_cursor_execute", before)
    staged = [an_event("a", f"t{n}") for n in range(300)]
    for size in (25_000, 3):  # one array per column: the row count does not change the SQL
        async with store.uow() as uow:
            first = len(seen)
            uow.add_all(store.parents, [{"id": f"p{size}-{n}"} for n in range(size)])
            uow.add_all(
                store.children, [{"parent_id": f"p{size}-1", "position": n} for n in range(10)]
            )
            uow.upsert(store.parents, ("id",), [{"id": "either"}])  # new, then there: nothing
            uow.stage(*(staged if size > 3 else ()))
            await uow.commit()
            assert [s.split()[0] for s in seen[first:]] == ["WITH"], seen[first:]
    assert len({s for s in seen if s.startswith("WITH")}) == 2  # with and without events
    assert await store.count(store.parents) == 25_004
    assert await store.count(store.children) == 20
    async with store.engine.connect() as conn:  # rows in the order queued, values as bound
        o = store.tables.outbox
        rows = (await conn.execute(select(o).order_by(o.c.seq))).all()
        children = (
            await conn.execute(select(store.children.c.position).order_by(store.children.c.seq))
        ).scalars()
        assert list(children) == [*range(10), *range(10)]
    assert [r.event_id for r in rows] == [str(e.id) for e in staged]
    assert rows[0].headers["ce_type"] == "deputies.township.registered"
    assert rows[-1].created_at == staged[-1].time
    assert rows[0].published_at is None


async def test_upserts_insert_update_and_keep_the_newer_row(store: Store) -> None:
    versions = Table(
        "versions",
        store.parents.metadata,
        Column("key", String(36), primary_key=True),
        Column("version", Integer, nullable=False),
        Column("note", String(36), nullable=True),
    )
    async with store.engine.begin() as conn:
        await conn.run_sync(versions.create)
    async with store.uow() as uow:
        uow.upsert(
            versions, ("key",), [{"key": "a", "version": 2, "note": "first"}], newer="version"
        )
        uow.upsert(versions, ("key",), [{"key": "b", "version": 1, "note": None}], newer="version")
        await uow.commit()
    async with store.uow() as uow:
        uow.upsert(
            versions,
            ("key",),
            [
                {"key": "a", "version": 1, "note": "older"},  # not newer than the stored row
                {"key": "b", "version": 3, "note": "newer"},
                {"key": "b", "version": 2, "note": "queued later, older"},  # the newer one wins
                {"key": "c", "version": 1, "note": "new"},
            ],
            newer="version",
        )
        await uow.commit()
    async with store.engine.connect() as conn:
        got = {r.key: (r.version, r.note) for r in await conn.execute(select(versions))}
    assert got == {"a": (2, "first"), "b": (3, "newer"), "c": (1, "new")}


async def test_a_connection_killed_while_idle_is_replaced_at_checkout(
    store: Store, database_url: str
) -> None:
    async with store.engine.connect() as conn:
        pid = await conn.scalar(select(func.pg_backend_pid()))
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    await asyncio.sleep(1.2)  # idle longer than the ping threshold: the checkout pings
    async with store.engine.connect() as conn:
        assert await conn.scalar(select(func.pg_backend_pid())) != pid
