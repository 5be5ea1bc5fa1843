"""A sender killed (SIGKILL) during a backlog: every delivery is sent, the repeats are counted.

The sender process kills itself right after the channel accepted a message and before the outcome
is recorded, the one window in which a crash can repeat a message. Another instance retakes the
claimed rows when their claim expires.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from notify_harness import add_deputy, rows, running_core, settings_for

from notify.handlers.sending import send_round
from notify.testing.servers import smtp_server

pytestmark = pytest.mark.integration

WORKER = Path(__file__).resolve().parents[1] / "notify_crash_sender.py"
BACKLOG = 200
BATCH = 20
DIE_AFTER = 70  # in the middle of the fourth claimed batch


def _row(n: int, deputy: str, now: datetime) -> dict[str, Any]:
    return {
        "delivery_id": str(uuid4()),
        "event_id": str(uuid4()),
        "recipient_kind": "deputy",
        "recipient_id": deputy,
        "channel": "email",
        "township": "330102001",
        "event_type": "cases.case.replied",
        "event_time": now,
        "subject": f"C-2025-{n:06d}",
        "template": "cases.case.replied",
        "status": "pending",
        "urgent": False,
        "held": False,
        "next_at": now,
        "title": f"答复 {n}",
        "body": "正文",
        "segments": 0,
        "attempts": 0,
        "created_at": now,
    }


async def test_a_sender_killed_mid_backlog_loses_nothing_and_repeats_only_the_unmarked(
    database_url: str, topic_prefix: str
) -> None:
    with smtp_server() as (sink, port):
        settings = settings_for(database_url, topic_prefix, smtp_port=port, sender_batch=BATCH)
        async with running_core(settings, consumers=False) as core:
            now = datetime.now(UTC)
            await add_deputy(core, "D-crash", email="crash@example.cn")
            async with core.services.uow() as uow:
                await core.services.store(uow).add_deliveries(
                    [_row(n, "D-crash", now) for n in range(BACKLOG)]
                )
                await uow.commit()
            worker = await asyncio.create_subprocess_exec(
                sys.executable,
                str(WORKER),
                "--db", database_url,
                "--prefix", topic_prefix,
                "--smtp-port", str(port),
                "--batch", str(BATCH),
                "--die-after", str(DIE_AFTER),
                stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            assert worker.stdout is not None
            assert (await asyncio.wait_for(worker.stdout.readline(), timeout=60)).strip() == (
                b"started"
            )
            assert await asyncio.wait_for(worker.wait(), timeout=120) == -signal.SIGKILL
            stranded = len(await rows(core, status="sending"))
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 60
            while len(await rows(core, status="sent")) < BACKLOG:
                assert loop.time() < deadline, "the backlog was not finished"
                if not (await send_round(core.services)).claimed:
                    await asyncio.sleep(0.2)  # the dead sender's claim has not expired yet
        ids = Counter(m["X-Notify-Delivery"] for m in sink.received())
        repeats = sum(n - 1 for n in ids.values())
        print(f"crash: {stranded} deliveries stranded in 'sending', {repeats} sent twice")
        assert len(ids) == BACKLOG  # every delivery reached the server
        assert stranded == BATCH  # one claimed batch: a claim never takes more than its limit
        # the repeats are exactly the messages accepted in the batch the crash cut short
        assert repeats == DIE_AFTER % BATCH
