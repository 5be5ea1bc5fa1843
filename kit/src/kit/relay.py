"""Outbox relay: publishes committed outbox rows to Kafka in order, marks them, one leader at a time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from kit.broker import Publisher
from kit.metrics import KitMetrics
from kit.outbox import Outbox

log = logging.getLogger(__name__)


class OutboxRelay:
    """Moves outbox rows to Kafka: order of `seq` kept per key, at least once, one active relay.

    On PostgreSQL the relay that holds a session advisory lock publishes; others wait and take
    over when its connection ends. It wakes on NOTIFY from committing transactions, on an
    in-process signal, or after ``poll_seconds``.
    """

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        outbox: Outbox,
        publisher: Publisher,
        metrics: KitMetrics,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
        retention: timedelta = timedelta(days=7),
        linger_seconds: float = 0.005,
    ) -> None:
        self.engine = engine
        self.outbox = outbox
        self.publisher = publisher
        self.metrics = metrics
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.retention = retention
        self.linger_seconds = linger_seconds
        self.lock_key = zlib.crc32(f"outbox-relay:{outbox.service}".encode())
        self.is_leader = False
        self._last_purge = datetime.min.replace(tzinfo=UTC)

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set; survives broker and database outages."""
        backoff = self.poll_seconds
        while not stop.is_set():
            try:
                if self.engine.dialect.name == "postgresql":
                    await self._run_as_leader(stop)
                else:
                    self.is_leader = True
                    await self._relay_loop(stop, None)
                backoff = self.poll_seconds
            except Exception:
                self.is_leader = False
                self.metrics.relay_failures.labels(self.outbox.service).inc()
                log.exception("outbox relay failed; retrying in %.1f s", backoff)
                await _wait(stop, backoff)
                backoff = min(backoff * 2, 30.0)

    async def _run_as_leader(self, stop: asyncio.Event) -> None:
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            locked = await conn.scalar(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": self.lock_key}
            )
            if not locked:
                self.is_leader = False
                await _wait(stop, self.poll_seconds)
                return
            self.is_leader = True
            log.info("outbox relay of %s is the leader", self.outbox.service)
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None

            def wake(*_: Any) -> None:
                self.outbox.wakeup.set()

            await driver.add_listener(self.outbox.channel, wake)
            try:
                await self._relay_loop(stop, conn)
            finally:
                self.is_leader = False
                with contextlib.suppress(Exception):
                    await driver.remove_listener(self.outbox.channel, wake)
                    await conn.scalar(text("SELECT pg_advisory_unlock(:k)"), {"k": self.lock_key})

    async def _relay_loop(self, stop: asyncio.Event, lock_conn: AsyncConnection | None) -> None:
        housekept = -math.inf
        while not stop.is_set():
            self.outbox.wakeup.clear()
            published = await self.publish_once()
            if published >= self.batch_size:
                continue
            # Under a stream of commits, gauges, the leader check and the purge run once per
            # poll period rather than once per wake-up.
            now = time.monotonic()
            if published == 0 or now - housekept >= self.poll_seconds:
                await self._update_gauges()
                if lock_conn is not None:
                    await lock_conn.scalar(text("SELECT 1"))  # a lost leader connection raises
                await self._purge_published()
                housekept = now
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await _first(stop.wait(), self.outbox.wakeup.wait())
            if self.linger_seconds and not stop.is_set():
                await asyncio.sleep(self.linger_seconds)  # let concurrent commits join the batch

    async def publish_once(self) -> int:
        """Publish one batch of unpublished rows in `seq` order; return how many."""
        table = self.outbox.table
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(
                        table.c.seq, table.c.topic, table.c.key, table.c.headers, table.c.payload
                    )
                    .where(table.c.published_at.is_(None))
                    .order_by(table.c.seq)
                    .limit(self.batch_size)
                )
            ).all()
        if not rows:
            return 0
        futures = [
            await self.publisher.send(
                row.topic, key=row.key, value=row.payload.encode(), headers=row.headers
            )
            for row in rows
        ]
        await asyncio.gather(*futures)
        async with self.engine.begin() as conn:
            await conn.execute(
                update(table)
                .where(table.c.seq.in_([row.seq for row in rows]))
                .values(published_at=datetime.now(UTC))
            )
        for row in rows:
            self.metrics.relay_published.labels(self.outbox.service, row.topic).inc()
        return len(rows)

    async def _update_gauges(self) -> None:
        table = self.outbox.table
        async with self.engine.connect() as conn:
            count, oldest = (
                await conn.execute(
                    select(func.count(), func.min(table.c.created_at)).where(
                        table.c.published_at.is_(None)
                    )
                )
            ).one()
        self.metrics.outbox_backlog.labels(self.outbox.service).set(count)
        age = 0.0
        if oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
            age = (datetime.now(UTC) - oldest).total_seconds()
        self.metrics.outbox_oldest_age.labels(self.outbox.service).set(age)

    async def _purge_published(self) -> None:
        now = datetime.now(UTC)
        if now - self._last_purge < timedelta(minutes=10):
            return
        self._last_purge = now
        table = self.outbox.table
        async with self.engine.begin() as conn:
            await conn.execute(table.delete().where(table.c.published_at < now - self.retention))


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stop.wait()


async def _first(*aws: Any) -> None:
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in tasks:
            t.cancel()
