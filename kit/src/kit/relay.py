"""Outbox relay: publishes committed outbox rows to Kafka in order, marks them, one leader at a time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka.errors import KafkaError
from sqlalchemy import (
    BigInteger,
    Dialect,
    all_,
    any_,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from kit.broker import Outgoing, Publisher
from kit.dead_letter import describe
from kit.metrics import KitMetrics
from kit.outbox import Outbox

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 30.0


class BrokerUnavailableError(RuntimeError):
    """The broker did not acknowledge the relay's sends within the send timeout."""


OutboxRow = Sequence[Any]
"""An outbox row by position: seq, topic, key, headers, payload (a Row or an asyncpg Record)."""


@dataclass
class _InFlight:
    """Rows handed to the producer and their delivery futures, awaited across rounds."""

    sent: list[OutboxRow] = field(default_factory=list)
    futures: list[asyncio.Future[Any]] = field(default_factory=list)


class OutboxRelay:
    """Moves outbox rows to Kafka: order of `seq` kept per key, at least once, one active relay.

    On PostgreSQL the relay that holds a session advisory lock publishes; others wait and take
    over when its connection ends. It wakes on NOTIFY from committing transactions, on an
    in-process signal, or after ``poll_seconds``; the leader reads and marks rows on its own
    connection (autocommit; a round's mark and the next round's read are one statement). It lingers ``linger_seconds`` after a wake-up
    (0 by default: commits that arrive during a round share the next one anyway). Sends the broker does not acknowledge within
    ``send_timeout`` fail the round (counted, backed off; the same sends are awaited again, not
    repeated); the backlog gauges are read from the database every ``gauge_seconds`` by a task
    of their own, so they move while the broker is gone.
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
        linger_seconds: float = 0.0,
        send_timeout: float = 10.0,
        gauge_seconds: float = 5.0,
    ) -> None:
        self.engine = engine
        self.outbox = outbox
        self.publisher = publisher
        self.metrics = metrics
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.retention = retention
        self.linger_seconds = linger_seconds
        self.send_timeout = send_timeout
        self.gauge_seconds = gauge_seconds
        metrics.relay_failures.labels(outbox.service)  # at 0 from the start, for `increase()`
        self._in_flight: _InFlight | None = None
        self._failed_rounds = 0
        self._announced_leader = False
        self._backoff = poll_seconds
        self.lock_key = zlib.crc32(f"outbox-relay:{outbox.service}".encode())
        # built once: SQLAlchemy keeps a statement's cache key, so a round does not recompute it
        table = outbox.table
        self._next_batch = (
            select(table.c.seq, table.c.topic, table.c.key, table.c.headers, table.c.payload)
            .where(table.c.published_at.is_(None))
            .order_by(table.c.seq)
            .limit(batch_size)
        )
        self._mark = (
            update(table)
            .where(table.c.seq.in_(bindparam("seqs", expanding=True)))
            .values(published_at=bindparam("at"))
        )
        # the leader marks a round and reads the next in one statement (the read does not see
        # the mark: the statement has one snapshot, so the marked rows are left out by seq)
        # (PostgreSQL only: the seqs as one array parameter, one prepared statement for any count)
        seqs = bindparam("seqs", type_=ARRAY(BigInteger))
        marked = (
            update(table)
            .where(table.c.seq == any_(seqs))
            .values(published_at=bindparam("at"))
            .returning(table.c.seq)
            .cte("marked")
        )
        self._mark_and_next = (
            select(table.c.seq, table.c.topic, table.c.key, table.c.headers, table.c.payload)
            .add_cte(marked)
            .where(table.c.published_at.is_(None), table.c.seq != all_(seqs))
            .order_by(table.c.seq)
            .limit(batch_size)
        )
        self._next: list[OutboxRow] = []
        # the leader runs the two on its own connection as asyncpg prepared statements: a
        # round's SQL costs the driver's work only, not SQLAlchemy's execution and row objects
        self._read_sql = _Positional(self._next_batch, engine.dialect)
        self._mark_sql = _Positional(self._mark_and_next, engine.dialect)
        self._prepared: tuple[Any, Any] | None = None  # the leader's (read, mark and next)
        self.is_leader = False
        self._last_purge = datetime.min.replace(tzinfo=UTC)

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set; survives broker and database outages."""
        gauges = asyncio.create_task(self._gauge_loop(stop), name="outbox-gauges")
        # stop wakes the relay too: an idle round then waits on one event (no tasks a round)
        waking = asyncio.create_task(_wake_on(stop, self.outbox.wakeup), name="outbox-stop")
        try:
            await self._relay(stop)
        finally:
            for task in (gauges, waking):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _relay(self, stop: asyncio.Event) -> None:
        self._backoff = self.poll_seconds
        while not stop.is_set():
            try:
                if self.engine.dialect.name == "postgresql":
                    await self._run_as_leader(stop)
                else:
                    self.is_leader = True
                    await self._relay_loop(stop, None)
                self._backoff = self.poll_seconds
            except Exception as error:
                self.is_leader = False
                self._next = []  # read under a leadership that may be gone
                self.metrics.relay_failures.labels(self.outbox.service).inc()
                self._failed(error, self._backoff)
                await self._back_off(stop, self._backoff, database=_is_database_error(error))
                self._backoff = min(self._backoff * 2, MAX_BACKOFF_SECONDS)

    def _failed(self, error: Exception, backoff: float) -> None:
        """Log the first failed round of an outage (a state change); later ones at debug level."""
        self._failed_rounds += 1
        level = logging.WARNING if self._failed_rounds == 1 else logging.DEBUG
        log.log(
            level,
            "outbox relay of %s cannot publish (%s); retrying in %.1f s",
            self.outbox.service,
            describe(error),
            backoff,
        )

    def _recovered(self) -> None:
        if self._failed_rounds:
            log.warning(
                "outbox relay of %s publishes again after %d failed round(s)",
                self.outbox.service,
                self._failed_rounds,
            )
            self._failed_rounds = 0
            self._backoff = self.poll_seconds

    async def _back_off(self, stop: asyncio.Event, seconds: float, *, database: bool) -> None:
        """Wait ``seconds``, less when woken, the broker acknowledges or the database answers."""
        self.outbox.wakeup.clear()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not stop.is_set() and not self.outbox.wakeup.is_set():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            step = min(remaining, self.poll_seconds) if database else remaining
            waits: list[Any] = [stop.wait(), self.outbox.wakeup.wait()]
            pending = self._in_flight.futures if self._in_flight else []
            if pending:  # the broker is back once it acknowledges the sends in flight
                waits.append(asyncio.wait(pending))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(step):
                    await _first(*waits)
            if pending and all(f.done() for f in pending):
                return
            if database and not stop.is_set() and await self._database_answers():
                return

    async def _database_answers(self) -> bool:
        try:
            async with asyncio.timeout(self.poll_seconds), self.engine.connect() as conn:
                await conn.scalar(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def watch_gauges(self, stop: asyncio.Event) -> None:
        """Read the backlog gauges until ``stop`` (what ``run`` does beside relaying)."""
        await self._gauge_loop(stop)

    async def _gauge_loop(self, stop: asyncio.Event) -> None:
        """Read the backlog gauges from the database on their own schedule (any instance)."""
        while not stop.is_set():
            try:
                async with asyncio.timeout(max(self.gauge_seconds, 1.0)):
                    await self._update_gauges()
            except Exception as error:  # the database is down: the relay logs that
                log.debug("outbox gauges of %s not read: %s", self.outbox.service, describe(error))
            await _wait(stop, self.gauge_seconds)

    async def _run_as_leader(self, stop: asyncio.Event) -> None:
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            locked = await conn.scalar(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": self.lock_key}
            )
            if not locked:
                self.is_leader = False
                if self._announced_leader:
                    log.info("outbox relay of %s is on standby", self.outbox.service)
                    self._announced_leader = False
                await _wait(stop, self.poll_seconds)
                return
            self.is_leader = True
            self._next = []
            if not self._announced_leader:  # once per change, not after every failed round
                log.info("outbox relay of %s is the leader", self.outbox.service)
                self._announced_leader = True
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None

            def wake(*_: Any) -> None:
                self.outbox.wakeup.set()

            await driver.add_listener(self.outbox.channel, wake)
            try:
                self._prepared = (
                    await driver.prepare(self._read_sql.sql),
                    await driver.prepare(self._mark_sql.sql),
                )
                await self._relay_loop(stop, conn)
            except Exception as error:
                if _is_database_error(error):  # the driver's own errors: SQLAlchemy did not see
                    await conn.invalidate()  # them, so the connection is not pooled again
                raise
            finally:
                self._prepared = None
                self.is_leader = False
                with contextlib.suppress(Exception):
                    await driver.remove_listener(self.outbox.channel, wake)
                    await conn.scalar(text("SELECT pg_advisory_unlock(:k)"), {"k": self.lock_key})

    async def _relay_loop(self, stop: asyncio.Event, lock_conn: AsyncConnection | None) -> None:
        housekept = -math.inf
        while not stop.is_set():
            self.outbox.wakeup.clear()
            published = await self.publish_once(lock_conn)
            self._recovered()
            if published >= self.batch_size or self._next:  # more read with the mark
                continue
            # Under a stream of commits, the leader check and the purge run once per poll period
            # rather than once per wake-up (reading and marking on the leader's connection
            # proves it alive meanwhile).
            now = time.monotonic()
            if published == 0 or now - housekept >= self.poll_seconds:
                await self._purge_published()
                housekept = now
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self.outbox.wakeup.wait()  # set by ``stop`` too (``run``)
            if self.linger_seconds and not stop.is_set():
                await asyncio.sleep(self.linger_seconds)  # let concurrent commits join the batch

    async def publish_once(self, conn: AsyncConnection | None = None) -> int:
        """Publish one batch of unpublished rows in `seq` order; return how many.

        With ``conn`` (the leader's connection, in autocommit) the rows are read and marked on
        it, instead of a pooled connection's BEGIN, statement and COMMIT or ROLLBACK; the mark
        reads the next round's rows in the same statement. Raises ``BrokerUnavailableError`` when the broker has not
        acknowledged them within ``send_timeout``; the next call awaits the same sends again
        instead of repeating them.
        """
        if self._in_flight is None:
            rows, self._next = self._next or await self._unpublished(conn), []
            if not rows:
                return 0
            self._in_flight = await self._send(rows)
        in_flight = self._in_flight
        if in_flight.futures:
            _, pending = await asyncio.wait(in_flight.futures, timeout=self.send_timeout)
            if pending:
                raise BrokerUnavailableError(
                    f"{len(pending)} of {len(in_flight.futures)} sends unacknowledged "
                    f"after {self.send_timeout:g} s"
                )
        self._in_flight = None
        errors = [e for e in (f.exception() for f in in_flight.futures) if e is not None]
        if errors:  # every one retrieved: asyncio would log the others as never retrieved
            raise errors[0]  # the rows are sent again in the next round
        rows = in_flight.sent  # those not handed over in time are read again, in order
        if not rows:
            raise BrokerUnavailableError(f"no send accepted within {self.send_timeout:g} s")
        marks = {"seqs": [row[0] for row in rows], "at": datetime.now(UTC)}
        if conn is not None and self._prepared is not None:  # autocommit: its own transaction
            self._next = await self._prepared[1].fetch(*self._mark_sql.args(marks))
        elif conn is not None:
            self._next = list((await conn.execute(self._mark_and_next, marks)).all())
        else:
            async with self.engine.begin() as pooled:
                await pooled.execute(self._mark, marks)
        for topic, count in Counter(row[1] for row in rows).items():  # one inc a topic
            self.metrics.relay_published.labels(self.outbox.service, topic).inc(count)
        return len(rows)

    async def _unpublished(self, conn: AsyncConnection | None) -> list[OutboxRow]:
        if conn is not None and self._prepared is not None:
            rows: list[OutboxRow] = await self._prepared[0].fetch(*self._read_sql.args({}))
            return rows
        if conn is not None:
            return list((await conn.execute(self._next_batch)).all())
        async with self.engine.connect() as pooled:
            return list((await pooled.execute(self._next_batch)).all())

    async def _send(self, rows: list[OutboxRow]) -> _InFlight:
        """Hand rows to the producer in order; stop handing them over after ``send_timeout``.

        Whatever was handed over is a prefix of each partition's rows (the publisher hands
        them over in order per partition), so the rows left for the next round keep the order
        of their keys.
        """
        in_flight = _InFlight()
        records = [  # by position: a Row's attributes cost a lookup each
            Outgoing(topic, key, payload.encode(), headers)
            for _, topic, key, headers, payload in rows
        ]
        with contextlib.suppress(TimeoutError):  # producer blocked on metadata or a full buffer
            async with asyncio.timeout(self.send_timeout):
                async for sent, indexes in self.publisher.send_many(records):
                    in_flight.futures.append(asyncio.ensure_future(sent))
                    in_flight.sent.extend(rows[i] for i in indexes)
        return in_flight

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


class _Positional:
    """A statement compiled once for a driver's positional parameters (asyncpg's ``$n``)."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self.sql = str(compiled)
        self.names = list(compiled.positiontup or ())
        self.defaults = compiled.params  # the LIMIT's value

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        """Return the parameters in order: from ``values``, else the compiled defaults."""
        return [values[n] if n in values else self.defaults[n] for n in self.names]


def _is_database_error(error: Exception) -> bool:
    """Tell whether a failed round may be the database's (the broker's errors are not)."""
    return not isinstance(error, BrokerUnavailableError | KafkaError)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stop.wait()


async def _wake_on(stop: asyncio.Event, wakeup: asyncio.Event) -> None:
    await stop.wait()
    wakeup.set()


async def _first(*aws: Any) -> None:
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in tasks:
            t.cancel()
