"""Leases on the embedded store: one holder at a time, taken over after expiry."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from kit.db import create_all, kit_tables, make_engine, make_metadata
from kit.scheduler import Lease


async def test_one_holder_at_a_time_and_take_over_after_expiry(tmp_path: Path) -> None:
    metadata = make_metadata()
    tables = kit_tables(metadata)
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/lease.db")
    await create_all(engine, metadata)
    try:
        a = Lease(
            engine=engine, table=tables.leases, name="job", holder="a", ttl=timedelta(hours=1)
        )
        b = Lease(
            engine=engine, table=tables.leases, name="job", holder="b", ttl=timedelta(hours=1)
        )
        assert await a.acquire()
        assert await a.acquire()  # renewal
        assert not await b.acquire()
        await a.release()
        assert await b.acquire()
        expired = Lease(
            engine=engine, table=tables.leases, name="job", holder="b", ttl=timedelta(seconds=-1)
        )
        assert await expired.acquire()  # b renews with an already expired lease
        assert await a.acquire()  # so a takes over
    finally:
        await engine.dispose()
