"""The sender's hand: few deliveries claimed at once, topped up as sends end (real PostgreSQL, SMTP)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

import pytest
from notify_harness import add_deputy, pending_email, rows, running_core, settings_for

from notify.adapters.base import Outgoing
from notify.adapters.store import Claimed, NotifyStore
from notify.domain.retry import Outcome
from notify.handlers.sending import send_due
from notify.testing.servers import smtp_server

pytestmark = pytest.mark.integration

HAND = 6
BACKLOG = 60


async def test_the_sender_holds_a_small_hand_and_tops_it_up_as_sends_end(
    database_url: str, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits: list[int] = []
    claim = NotifyStore.claim

    async def counted(
        self: NotifyStore, now: datetime, holder: str, until: datetime, limit: int
    ) -> list[Claimed]:
        limits.append(limit)
        return await claim(self, now, holder, until, limit)

    monkeypatch.setattr(NotifyStore, "claim", counted)
    with smtp_server() as (sink, port):
        settings = settings_for(
            database_url, topic_prefix, smtp_port=port, sender_concurrency=HAND, smtp_pool=2
        )
        async with running_core(settings, consumers=False) as core:
            svc = core.services
            await add_deputy(core, "D-hand", email="hand@example.cn")
            now = datetime.now(UTC)
            async with svc.uow() as uow:
                await svc.store(uow).add_deliveries(
                    [pending_email(n, "D-hand", now) for n in range(BACKLOG)]
                )
                await uow.commit()
            send = svc.channels.send

            async def slow(outgoing: Outgoing) -> Outcome:
                await asyncio.sleep(0.01)  # sends take a while: the hand fills, then drains
                return await send(outgoing)

            svc.channels.send = slow  # type: ignore[method-assign]
            stop = asyncio.Event()
            sender = asyncio.create_task(send_due(svc, stop, window=60.0, poll=0.1))
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 60
            while len(await rows(core, status="sent")) < BACKLOG:
                assert loop.time() < deadline, "the backlog was not sent"
                await asyncio.sleep(0.1)
            stop.set()
            assert await sender == BACKLOG
        ids = Counter(m["X-Notify-Delivery"] for m in sink.received())
    assert len(ids) == BACKLOG
    assert set(ids.values()) == {1}
    # never more than a hand claimed; each claim fills the free half or more of it
    assert max(limits) == HAND
    assert all(limit >= HAND // 2 for limit in limits)
    assert len(limits) >= BACKLOG // HAND  # topped up as sends ended, not claimed at once
