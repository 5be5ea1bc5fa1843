"""The sender: claim due deliveries, send them through their channel, record what happened.

A claim moves rows to ``sending`` for this instance until ``claim_for`` has passed (PostgreSQL
takes them with ``FOR UPDATE SKIP LOCKED``, so two senders never claim one row); the outcome is
written only while the claim is still this instance's, with ``notify.notification.sent`` or
``.failed`` staged in the same transaction. A sender that dies between the channel's acceptance
and the mark leaves a ``sending`` row that is retaken when its claim runs out: that is the one
repeat the design allows, with the same Message-ID / Idempotency-Key.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kit.uow import UnitOfWork
from notify import events
from notify.adapters.base import Outgoing
from notify.adapters.store import Claimed
from notify.domain.attempts import Settled, Status, settle
from notify.domain.model import Channel, RecipientRef
from notify.domain.retry import Outcome, permanent
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


async def _send(svc: Services, claimed: Claimed, address: str | None) -> Outcome:
    if address is None:
        return permanent("no usable address")
    row = claimed.row
    message = Rendered(claimed.channel, row["title"], row["body"], row["segments"])
    return await svc.channels.send(Outgoing(claimed.delivery_id, address, message))


def _values(settled: Settled, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {
        "status": settled.status.value,
        "attempts": settled.attempts,
        "last_error": settled.error,
        "error_kind": settled.failure.value if settled.failure else None,
    }
    if settled.status is Status.retrying:
        values["next_at"] = settled.next_at
    else:
        values["finished_at"] = now
    if settled.provider_id is not None:
        values["provider_id"] = settled.provider_id[:120]
    return values


async def send_round(svc: Services) -> Round:
    """Claim up to a batch of due deliveries, send them, record the outcomes; return the counts."""
    now = svc.now()
    async with svc.uow() as uow:
        store = svc.store(uow)
        claimed = await store.claim(now, svc.holder, now + svc.claim_for, svc.batch)
        addresses: dict[tuple[RecipientRef, Any], str] = await store.addresses(
            (c.ref, c.channel) for c in claimed
        )
        await uow.commit()
    if not claimed:
        return Round(0, 0, 0, 0)
    gate = asyncio.Semaphore(svc.concurrency)

    async def one(c: Claimed) -> Outcome | None:
        address = addresses.get((c.ref, c.channel))
        key = (c.channel, address) if c.channel is Channel.webhook else c.channel
        async with gate:
            wait = svc.limits.wait(key)
            if wait > MAX_WAIT:
                return None  # over the channel's rate: back in the queue, no attempt counted
            await asyncio.sleep(wait)
            return await _send(svc, c, address)

    outcomes = await asyncio.gather(*(one(c) for c in claimed))
    done = svc.now()
    counts = {Status.sent: 0, Status.failed: 0, Status.retrying: 0}
    async with svc.uow() as uow:
        store = svc.store(uow)
        plain: list[tuple[Claimed, Settled]] = []  # sent, no provider id: one statement for all
        for c, outcome in zip(claimed, outcomes, strict=True):
            if outcome is None:
                later = {"status": Status.pending.value, "attempts": c.attempts - 1}
                await store.mark(c.delivery_id, svc.holder, {**later, "next_at": done + DEFER})
                continue
            settled = settle(outcome, c.attempts, done, svc.retry, svc.rng)
            if settled.status is Status.sent and settled.provider_id is None:
                plain.append((c, settled))
                continue
            if await store.mark(c.delivery_id, svc.holder, _values(settled, done)):
                _settled(svc, uow, c, settled, done, counts)
            else:
                log.warning(
                    "delivery %s was retaken before its outcome was recorded", c.delivery_id
                )
        ours = await store.mark_sent([c.delivery_id for c, _ in plain], svc.holder, done)
        for c, settled in plain:
            if c.delivery_id in ours:
                _settled(svc, uow, c, settled, done, counts)
            else:
                log.warning(
                    "delivery %s was retaken before its outcome was recorded", c.delivery_id
                )
        await uow.commit()
    return Round(len(claimed), counts[Status.sent], counts[Status.failed], counts[Status.retrying])


def _settled(
    svc: Services,
    uow: UnitOfWork,
    c: Claimed,
    settled: Settled,
    at: datetime,
    counts: dict[Status, int],
) -> None:
    counts[settled.status] = counts.get(settled.status, 0) + 1
    if settled.status is Status.sent:
        uow.stage(events.sent(c.row, settled.attempts, at))
    elif settled.status is Status.failed:
        assert settled.failure is not None
        uow.stage(events.failed(c.row, settled.attempts, settled.failure, settled.error or "", at))
    _observe(svc, c, settled.status, at)


def _observe(svc: Services, c: Claimed, status: Status, at: datetime) -> None:
    if svc.metrics is None:
        return
    svc.metrics.deliveries.labels(channel=c.channel.value, result=status.value).inc()
    if status is Status.sent:
        svc.metrics.latency.labels(channel=c.channel.value).observe(
            max((at - c.row["event_time"]).total_seconds(), 0.0)
        )


async def send_due(svc: Services, stop: asyncio.Event, *, window: float, poll: float) -> int:
    """Send rounds for up to ``window`` seconds (a job's turn), idling ``poll`` s when none is due."""
    loop = asyncio.get_running_loop()
    until = loop.time() + window
    sent = 0
    while not stop.is_set() and loop.time() < until:
        done = await send_round(svc)
        sent += done.sent
        if done.claimed < svc.batch:
            try:
                async with asyncio.timeout(poll):
                    await stop.wait()
            except TimeoutError:
                pass
    return sent


async def measure_backlog(svc: Services) -> None:
    """Refresh the pending gauge and the oldest pending age."""
    if svc.metrics is None:
        return
    async with svc.uow() as uow:
        count, oldest, held = await svc.store(uow).backlog(svc.now())
    svc.metrics.pending.set(count)
    svc.metrics.oldest_pending.set(oldest)
    svc.metrics.held.set(held)
