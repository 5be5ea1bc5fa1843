"""Periodic jobs that run on one instance at a time (a lease row), safe with several instances.

A lease keeps two instances from doing the same work at once; the job itself must still be
idempotent (``kit.announcements``: one row per announcement, with its event), which makes "exactly
once" hold across restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)


def instance_id() -> str:
    """Return an id of this process, unique across hosts and restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Lease:
    """A named lease: held by one instance until it expires or its holder renews it."""

    def __init__(
        self, *, engine: AsyncEngine, table: Table, name: str, holder: str, ttl: timedelta
    ) -> None:
        self.engine = engine
        self.table = table
        self.name = name
        self.holder = holder
        self.ttl = ttl

    async def acquire(self) -> bool:
        """Take or renew the lease; return whether this instance holds it now."""
        now = datetime.now(UTC)
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        values = insert(self.table).values(
            name=self.name, holder=self.holder, expires_at=now + self.ttl
        )
        statement = values.on_conflict_do_update(
            index_elements=["name"],
            set_={"holder": values.excluded.holder, "expires_at": values.excluded.expires_at},
            where=or_(self.table.c.expires_at < now, self.table.c.holder == self.holder),
        ).returning(self.table.c.holder)
        async with self.engine.begin() as conn:
            holder = (await conn.execute(statement)).scalar_one_or_none()
        return holder == self.holder

    async def release(self) -> None:
        """Give the lease up if this instance holds it."""
        async with self.engine.begin() as conn:
            await conn.execute(
                self.table.delete().where(
                    self.table.c.name == self.name, self.table.c.holder == self.holder
                )
            )


async def run_periodically(
    job: Callable[[], Awaitable[object]],
    *,
    lease: Lease,
    interval: float,
    stop: asyncio.Event,
) -> None:
    """Run ``job`` every ``interval`` seconds while this instance holds ``lease``."""
    while not stop.is_set():
        try:
            if await lease.acquire():
                await job()
        except Exception:
            log.exception("scheduled job %s failed; next try in %.0f s", lease.name, interval)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(interval):
                await stop.wait()
    with contextlib.suppress(Exception):
        await lease.release()
