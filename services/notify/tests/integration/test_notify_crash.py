"""A sender killed (SIGKILL) during a backlog: every delivery is sent, the repeats are counted.

The sender process kills itself right after the channel accepted a message and before the outcome
is recorded, the one window in which a crash can repeat a message. Another instance retakes the
claimed rows when their claim expires. A repeat is a message the SMTP server had received for a
row still ``sending`` (unmarked) when the sender died: the tests count them per kill and check
that nothing else was sent twice and nothing was lost.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from notify_harness import add_deputy, pending_email, rows, running_core, settings_for

from notify.handlers.sending import send_round
from notify.settings import NotifySettings
from notify.testing.servers import MailSink, smtp_server
from notify.wiring import Core

pytestmark = pytest.mark.integration

WORKER = Path(__file__).resolve().parents[1] / "notify_crash_sender.py"
BACKLOG = 200
DIE_AFTER = 70  # in the middle of the fourth claimed batch of 20, of the second group of 50
POOL = NotifySettings.model_fields["smtp_pool"].default  # sends at the server when it dies


@dataclass(frozen=True)
class Kill:
    """What one SIGKILL left: rows stranded in ``sending``, and how many went out twice."""

    stranded: int
    stranded_received: int
    repeats: int
    delivered: int


async def _kill_once(
    core: Core, sink: MailSink, port: int, database_url: str, topic_prefix: str, **args: int
) -> Kill:
    """Queue a backlog, let a sender process die mid-way, finish it here; count the repeats."""
    sink.messages.clear()
    sink.arrived.clear()
    now = datetime.now(UTC)
    backlog = [pending_email(n, "D-crash", now) for n in range(BACKLOG)]
    async with core.services.uow() as uow:
        await core.services.store(uow).add_deliveries(backlog)
        await uow.commit()
    options = [part for name, value in args.items() for part in (f"--{name}", str(value))]
    worker = await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER),
        "--db", database_url, "--prefix", topic_prefix, "--smtp-port", str(port),
        "--die-after", str(DIE_AFTER), *[o.replace("_", "-") for o in options],
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert worker.stdout is not None
    assert (await asyncio.wait_for(worker.stdout.readline(), timeout=60)).strip() == b"started"
    assert await asyncio.wait_for(worker.wait(), timeout=120) == -signal.SIGKILL
    await asyncio.sleep(1.0)  # the server finishes what the dead sender's sockets delivered
    stranded = {r.delivery_id for r in await rows(core, status="sending")}
    received_at_kill = {m["X-Notify-Delivery"] for m in sink.received()}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    ours = {r["delivery_id"] for r in backlog}
    while len([r for r in await rows(core, status="sent") if r.delivery_id in ours]) < BACKLOG:
        assert loop.time() < deadline, "the backlog was not finished"
        if not (await send_round(core.services)).claimed:
            await asyncio.sleep(0.2)  # the dead sender's claim has not expired yet
    ids = Counter(m["X-Notify-Delivery"] for m in sink.received())
    twice = {i for i, n in ids.items() if n > 1}
    assert all(n <= 2 for n in ids.values())  # one crash: one repeat at most
    assert twice == stranded & received_at_kill  # the repeats are exactly the unmarked accepted
    return Kill(len(stranded), len(stranded & received_at_kill), len(twice), len(ids))


async def test_a_sender_killed_mid_batch_loses_nothing_and_repeats_only_the_unmarked(
    database_url: str, topic_prefix: str
) -> None:
    with smtp_server() as (sink, port):
        settings = settings_for(database_url, topic_prefix, smtp_port=port, sender_batch=20)
        async with running_core(settings, consumers=False) as core:
            await add_deputy(core, "D-crash", email="crash@example.cn")
            kill = await _kill_once(core, sink, port, database_url, topic_prefix, batch=20)
    print(f"crash (batch 20): {kill}")
    assert kill.delivered == BACKLOG  # every delivery reached the server
    assert kill.stranded == 20  # one claimed batch: a claim never takes more than its limit
    # the messages the sender saw accepted in the batch it died in, plus those in flight on the
    # other connections of its pool that the server accepted before the kill
    assert DIE_AFTER % 20 <= kill.repeats <= DIE_AFTER % 20 + POOL - 1


async def test_repeats_per_kill_with_the_default_batch_and_marks(
    database_url: str, topic_prefix: str
) -> None:
    with smtp_server() as (sink, port):
        settings = settings_for(database_url, topic_prefix, smtp_port=port)
        async with running_core(settings, consumers=False) as core:
            await add_deputy(core, "D-crash", email="crash@example.cn")
            kills = [
                await _kill_once(
                    core, sink, port, database_url, topic_prefix, batch=200, mark_every=50
                )
                for _ in range(3)
            ]
    print("crash (batch 200, marks every 50): repeats per kill", [k.repeats for k in kills])
    for kill in kills:
        assert kill.delivered == BACKLOG
        # a kill at the 70th acceptance: the 50 first are recorded (or being recorded), so the
        # repeats are the acceptances since the last committed mark and those in flight
        assert kill.repeats <= DIE_AFTER + POOL - 1
        assert kill.repeats >= 1
