"""The sender: claim due deliveries, send them through their channel, record what happened.

A claim moves due rows to ``sending`` for this instance until ``claim_for`` has passed
(PostgreSQL takes them with ``FOR UPDATE SKIP LOCKED``, so two senders never claim one row). The
sender holds at most ``concurrency`` claimed and unsent (its hand) and sends them concurrently
(e-mail over the adapter's pool of kept-open connections), topping the hand up as sends end;
the outcomes are recorded as they come, every ``mark_every`` sends
and at the end of the batch, each group with one statement and only while the claim is still this
instance's, with its ``notify.notification.sent`` / ``.failed`` events staged in the same
transaction. A sender that dies between the channel's acceptance and the mark leaves ``sending``
rows that are retaken when their claim runs out: those are the repeats the design allows (at
most the sends accepted since the last mark), with the same Message-ID / Idempotency-Key.

The intake wakes the sender of its own process when it commits due deliveries
(``wake_after_commit``), and a sender in a process of its own (``python -m notify sender``)
through PostgreSQL's NOTIFY on ``SENDER_CHANNEL`` (``wake_other_process``, ``woken_by_commits``);
the poll interval remains for deliveries other instances took in, retries coming due, claims
running out and SQLite.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event as sa_event, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session

from kit.uow import UnitOfWork
from notify import events
from notify.adapters.base import Outgoing
from notify.adapters.store import Claimed
from notify.domain.attempts import Settled, Status, settle
from notify.domain.model import Channel
from notify.domain.retry import Delivered, Outcome, permanent
from notify.handlers.context import Services
from notify.templates.render import Rendered

log = logging.getLogger(__name__)

MAX_WAIT = 2.0
"""Seconds a send may wait for its rate limit; beyond, the delivery goes back in the queue."""
DEFER = timedelta(seconds=5)
"""How long a delivery over its channel's rate waits before it is claimed again."""


@dataclass(frozen=True)
class Round:
    """What one round of the sender did."""

    claimed: int
    sent: int
    failed: int
    retrying: int


def wake_after_commit(
    svc: Services, uow: UnitOfWork, then: Callable[[], None] | None = None
) -> None:
    """Wake this process's sender once the unit of work's transaction has committed (then ``then``)."""

    def committed(session: Session) -> None:
        svc.wakeup.set()
        if then is not None:
            then()

    sa_event.listen(uow.session.sync_session, "after_commit", committed, once=True)


SENDER_CHANNEL = "notify_sender"
"""PostgreSQL's NOTIFY channel on which the intake tells senders of other processes work is due."""


async def wake_other_process(uow: UnitOfWork) -> None:
    """Wake senders of other processes when the unit of work commits (PostgreSQL; SQLite polls)."""
    session = uow.session
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": SENDER_CHANNEL})


LISTEN_CHECK_SECONDS = 2.0
"""The pause before opening a lost listening connection again."""


@contextlib.asynccontextmanager
async def woken_by_commits(
    svc: Services, engine: AsyncEngine, *, check_seconds: float = LISTEN_CHECK_SECONDS
) -> AsyncIterator[None]:
    """Wake this process's sender when another process's intake commits due deliveries.

    One connection listens; when it is lost (a database restart, a killed backend) it is opened
    again, and meanwhile the sender's poll finds what is due. A loss is logged once and counted
    (``notify_sender_listen_lost_total``).
    """
    if engine.dialect.name != "postgresql":
        yield
        return
    task = asyncio.create_task(_listen(svc, engine, check_seconds), name="notify-sender-listen")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _setting(event: asyncio.Event) -> Callable[[object], None]:
    """Return a callback that sets ``event`` (asyncpg's termination listener)."""
    return lambda _: event.set()


async def _listen(svc: Services, engine: AsyncEngine, check_seconds: float) -> None:
    """Hold a connection listening on ``SENDER_CHANNEL``; open it again whenever it is lost."""

    def wake(*_: Any) -> None:
        svc.wakeup.set()

    lost = False
    while True:
        try:
            async with engine.connect() as conn:  # held: NOTIFY reaches this session
                raw = await conn.get_raw_connection()
                driver = raw.driver_connection
                assert driver is not None
                closed = asyncio.Event()
                driver.add_termination_listener(_setting(closed))
                await driver.add_listener(SENDER_CHANNEL, wake)
                if lost:
                    log.info("notify's sender listens for the intake's commits again")
                lost = False
                svc.wakeup.set()  # what was committed while nobody listened
                await closed.wait()
                await conn.invalidate()  # not back into the pool
                raise ConnectionError("the listening connection was closed")
        except Exception as error:  # any loss: polled meanwhile, opened again
            if not lost:
                log.warning(
                    "notify's sender lost its listening connection (%s): polling until it is back",
                    type(error).__name__,
                )
                if svc.metrics is not None:
                    svc.metrics.listen_lost.inc()
            lost = True
        await asyncio.sleep(check_seconds)


async def _send(svc: Services, claimed: Claimed, address: str | None) -> Outcome:
    if address is None:
        return permanent("no usable address")
    row = claimed.row
    message = Rendered(claimed.channel, row["title"], row["body"], row["segments"])
    return await svc.channels.send(Outgoing(claimed.delivery_id, address, message))


def _values(c: Claimed, settled: Settled, at: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {
        "delivery_id": c.delivery_id,
        "status": settled.status.value,
        "attempts": settled.attempts,
        "last_error": settled.error,
        "error_kind": settled.failure.value if settled.failure else None,
    }
    if settled.status is Status.retrying:
        values["next_at"] = settled.next_at
    else:
        values["finished_at"] = at
    if settled.provider_id is not None:
        values["provider_id"] = settled.provider_id[:120]
    return values


def _deferred(c: Claimed, at: datetime) -> dict[str, Any]:
    """Back in the queue without counting the attempt (over the channel's rate)."""
    return {
        "delivery_id": c.delivery_id,
        "status": Status.pending.value,
        "attempts": c.attempts - 1,
        "last_error": c.row["last_error"],
        "error_kind": c.row["error_kind"],
        "next_at": at + DEFER,
    }


class _Marks:
    """Outcomes waiting to be recorded; ``record`` writes a group with one statement."""

    def __init__(self, svc: Services, every: int) -> None:
        self.svc = svc
        self.every = max(every, 1)
        self.waiting: list[tuple[Claimed, Outcome | None, datetime]] = []
        self.counts = {Status.sent: 0, Status.failed: 0, Status.retrying: 0}
        self._lock = asyncio.Lock()
        self._counted: dict[tuple[str, Status], Any] = {}
        self._latency: dict[str, Any] = {}

    async def add(self, c: Claimed, outcome: Outcome | None) -> None:
        self.waiting.append((c, outcome, self.svc.now()))
        if len(self.waiting) >= self.every:
            await self.record()

    def since(self) -> datetime | None:
        """Return when the oldest outcome waiting was noted (None: none waits)."""
        return self.waiting[0][2] if self.waiting else None

    async def record(self) -> None:
        async with self._lock:
            group, self.waiting = self.waiting, []
            if group:
                await self._write(group)

    async def _write(self, group: list[tuple[Claimed, Outcome | None, datetime]]) -> None:
        svc = self.svc
        rows: list[dict[str, Any]] = []
        settled: list[tuple[Claimed, Settled, datetime]] = []
        for c, outcome, at in group:
            if outcome is None:
                rows.append(_deferred(c, at))
                continue
            done = settle(outcome, c.attempts, at, svc.retry, svc.rng)
            rows.append(_values(c, done, at))
            settled.append((c, done, at))
        async with svc.uow() as uow:
            ours = await svc.store(uow).mark_many(svc.holder, rows)
            made = events.Rows(uow.outbox)
            staged = []
            for c, done, at in settled:
                if c.delivery_id not in ours:
                    log.warning(
                        "delivery %s was retaken before its outcome was recorded", c.delivery_id
                    )
                    if svc.metrics is not None:
                        svc.metrics.claims_lost.labels(channel=c.channel.value).inc()
                    continue
                if done.status is Status.sent:
                    staged.append(made.sent(c.row, done.attempts, at))
                elif done.status is Status.failed:
                    assert done.failure is not None
                    staged.append(
                        made.failed(c.row, done.attempts, done.failure, done.error or "", at)
                    )
            uow.stage_rows(staged)
            await uow.commit()
        for c, done, at in settled:
            if c.delivery_id in ours:
                self.counts[done.status] = self.counts.get(done.status, 0) + 1
                self._observe(c, done.status, at)

    def _observe(self, c: Claimed, status: Status, at: datetime) -> None:
        """Count an outcome recorded and, when sent, observe its event's age (children cached)."""
        metrics = self.svc.metrics
        if metrics is None:
            return
        channel = c.row["channel"]
        counter = self._counted.get((channel, status))
        if counter is None:
            counter = metrics.deliveries.labels(channel=channel, result=status.value)
            self._counted[channel, status] = counter
        counter.inc()
        if status is Status.sent:
            latency = self._latency.get(channel)
            if latency is None:
                latency = self._latency[channel] = metrics.latency.labels(channel=channel)
            latency.observe(max((at - c.row["event_time"]).total_seconds(), 0.0))


class _Sends:
    """Claimed deliveries being sent, ``concurrency`` at a time, their outcomes marked in groups."""

    def __init__(self, svc: Services, low: int = 0) -> None:
        self.svc = svc
        self.gate = asyncio.Semaphore(svc.concurrency)
        self.marks = _Marks(svc, svc.mark_every)
        self.tasks: set[asyncio.Task[None]] = set()
        self.low = low
        """A send ending with at most this many left in hand pokes the loop (-1: only the last)."""
        self.poke: asyncio.Future[None] | None = None
        self.failed: asyncio.Task[None] | None = None
        m = svc.metrics
        self.stages = (
            None
            if m is None
            else (m.stages.labels(stage="accepted"), m.stages.labels(stage="claimed"))
        )
        """The stage histograms a send observes, looked up once (not a ``labels`` call a send)."""

    def poked(self) -> asyncio.Future[None]:
        """Return the future a send's end resolves (at most ``low`` left, none left, or a failure)."""
        if self.poke is None or self.poke.done():
            self.poke = asyncio.get_running_loop().create_future()
        return self.poke

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            return
        if task.exception() is not None:
            self.failed = task
        elif self.tasks and len(self.tasks) > self.low:
            return  # the hand is still full enough: no claim would be made
        if self.poke is not None and not self.poke.done():
            self.poke.set_result(None)

    async def claim(self, limit: int) -> int:
        """Claim up to ``limit`` due deliveries and start sending them; return how many."""
        svc = self.svc
        now = svc.now()
        async with svc.uow() as uow:
            claimed = await svc.store(uow).claim(now, svc.holder, now + svc.claim_for, limit)
            await uow.commit()
        for c in claimed:
            task = asyncio.create_task(self._one(c, c.address, now))
            self.tasks.add(task)
            task.add_done_callback(self._done)
        return len(claimed)

    async def _one(self, c: Claimed, address: str | None, claimed_at: datetime) -> None:
        svc = self.svc
        key = (c.channel, address) if c.channel is Channel.webhook else c.channel
        async with self.gate:
            wait = svc.limits.wait(key)
            if wait > MAX_WAIT:
                outcome = None  # over the channel's rate: back in the queue, no attempt counted
            else:
                if wait > 0:
                    await asyncio.sleep(wait)
                outcome = await _send(svc, c, address)
                if self.stages is not None and isinstance(outcome, Delivered):
                    accepted, claimed = self.stages
                    accepted.observe(max((svc.now() - claimed_at).total_seconds(), 0.0))
                    if c.attempts == 1:  # a first attempt: from its intake (a retry waited)
                        claimed.observe(
                            max((claimed_at - c.row["created_at"]).total_seconds(), 0.0)
                        )
        await self.marks.add(c, outcome)

    async def finish(self) -> None:
        """Wait for every send in flight (one failing, the database, cancels the others); mark."""
        try:
            while self.tasks:
                done, _ = await asyncio.wait(self.tasks, return_when=asyncio.FIRST_EXCEPTION)
                for task in done:
                    task.result()
        except BaseException:
            self.cancel()
            raise
        await self.marks.record()

    def cancel(self) -> None:
        """Cancel the sends in flight (their deliveries are retaken when the claim runs out)."""
        for task in self.tasks:
            task.cancel()

    def check(self) -> None:
        """Raise what a finished send raised (the database failing)."""
        if self.failed is not None:
            self.failed.result()


async def send_round(svc: Services) -> Round:
    """Claim up to a batch of due deliveries, send them, record the outcomes; return the counts."""
    sends = _Sends(svc)
    claimed = await sends.claim(svc.batch)
    if not claimed:
        return Round(0, 0, 0, 0)
    await sends.finish()
    counts = sends.marks.counts
    return Round(claimed, counts[Status.sent], counts[Status.failed], counts[Status.retrying])


MARK_WITHIN = timedelta(milliseconds=200)
"""How long an outcome may wait for its group while sends go on (then it is recorded)."""


def refill(hand: int) -> int:
    """Return the fewest free places in a sender's hand for which it claims more (half of it)."""
    return max(hand // 2, 1)


async def send_due(
    svc: Services,
    stop: asyncio.Event,
    *,
    window: float,
    poll: float,
    renew: Callable[[], Awaitable[bool]] | None = None,
) -> int:
    """Send for ``window`` seconds (a job's turn), or on while ``renew`` renews the job's lease.

    The turn goes on without a pause between windows while ``renew()`` says this instance still
    holds the sender's lease; it ends when it does not (another instance sends) or on ``stop``.

    The sender holds a small hand of claimed deliveries — ``concurrency``, a few times what the
    channels' connections have in flight, so a claimed delivery waits for a few dozen sends, not
    for hundreds — and keeps it topped up: when half of it is free and something may be due
    (the last claim took all it asked for, the intake's wake-up, or the poll), it claims the
    free places. The intake's commit (or NOTIFY) wakes it; while something may be due, so does
    the send whose end frees half the hand (not every send: a claim of a few rows costs as
    much as one of many). Outcomes are recorded every ``mark_every``, when nothing is in
    flight, or when the oldest has waited ``MARK_WITHIN``. Idle, it waits up to ``poll`` s.
    """
    loop = asyncio.get_running_loop()
    until = loop.time() + window
    hand = max(svc.concurrency, 1)
    least = refill(hand)
    sends = _Sends(svc, hand - least)
    more = True  # the last claim took all it asked for: more may be due at once
    polled = loop.time()
    stopping = asyncio.ensure_future(stop.wait())
    woken: asyncio.Future[Any] | None = None
    try:
        while not stop.is_set():
            if loop.time() >= until:
                if renew is None or not await renew():
                    break
                until = loop.time() + window
            room = hand - len(sends.tasks)
            want = more or svc.wakeup.is_set() or loop.time() - polled >= poll  # may be due
            if room >= least and want:
                svc.wakeup.clear()  # what the intake commits from now on wakes the wait below
                more = await sends.claim(room) == room
                polled = loop.time()
                sends.check()
                continue
            since = sends.marks.since()
            if since is not None and (not sends.tasks or svc.now() - since >= MARK_WITHIN):
                await sends.marks.record()
                continue
            left = until - loop.time()
            if want:  # the send that frees half the hand wakes us (not the poll: no room yet)
                sends.low = hand - least
            else:  # nothing known to be due: the poll, the intake or the last send wakes us
                sends.low = -1
                left = min(left, poll - (loop.time() - polled))
            if sends.marks.since() is not None:
                left = min(left, MARK_WITHIN.total_seconds())
            signals: list[asyncio.Future[Any]] = [stopping, sends.poked()]
            if not svc.wakeup.is_set():  # a commit of the intake wakes us
                if woken is None or woken.done():
                    woken = asyncio.ensure_future(svc.wakeup.wait())
                signals.append(woken)
            await asyncio.wait(signals, timeout=max(left, 0.0), return_when=asyncio.FIRST_COMPLETED)
            sends.check()
    except BaseException:
        sends.cancel()
        raise
    finally:
        stopping.cancel()
        if woken is not None:
            woken.cancel()
    await sends.finish()
    return sends.marks.counts[Status.sent]


async def measure_backlog(svc: Services) -> None:
    """Refresh the pending gauge and the oldest pending age."""
    if svc.metrics is None:
        return
    async with svc.uow() as uow:
        count, oldest, held = await svc.store(uow).backlog(svc.now())
    svc.metrics.pending.set(count)
    svc.metrics.oldest_pending.set(oldest)
    svc.metrics.held.set(held)
