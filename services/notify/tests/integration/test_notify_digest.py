"""The daily digest: items wait for the digest instant, then go as one message, once."""

from __future__ import annotations

import dataclasses
import functools
from datetime import timedelta

import pytest
from notify_harness import add_deputy, closed, envelope, publish, rows, running_core, settings_for

from kit.testing import unique, wait_until
from notify.handlers.sending import measure_backlog, send_round
from notify.jobs import digest
from notify.testing.servers import smtp_server
from notify.wiring import Core

pytestmark = pytest.mark.integration


async def _digested(core: Core, n: int) -> bool:
    return len(await rows(core, status="digested")) == n


async def test_digest_items_go_out_once_as_one_message_at_the_digest_time(
    database_url: str, topic_prefix: str
) -> None:
    deputy = unique("D-")
    with smtp_server() as (sink, port):
        settings = settings_for(database_url, topic_prefix, smtp_port=port)
        async with running_core(settings) as core:
            await add_deputy(core, deputy, email="digest@example.cn")
            await publish(
                topic_prefix,
                envelope(closed(deputy, "C-2025-000001")),
                envelope(closed(deputy, "C-2025-000002")),
            )
            await wait_until(functools.partial(_digested, core, 2), within=60)
            items = await rows(core, status="digested")
            at = max(r.next_at for r in items)
            assert {r.digest_day for r in items} == {items[0].digest_day}
            early = dataclasses.replace(core.services, clock=lambda: at - timedelta(minutes=1))
            assert await digest(early) == 0  # not yet: the items wait for the digest instant
            late = dataclasses.replace(core.services, clock=lambda: at + timedelta(minutes=1))
            assert await digest(late) == 1
            assert await digest(late) == 0  # a second run (or instance) makes no second digest
            await measure_backlog(late)
            assert core.services.metrics is not None
            assert core.services.metrics.pending._value.get() == 1
            assert (await send_round(late)).sent == 1
            [made] = await rows(core, template="_digest")
            included = await rows(core, status="included")
        [mail] = sink.received()
        assert mail["Subject"].endswith("待办汇总：2条")
        assert made.status == "sent"
        assert {r.provider_id for r in included} == {made.delivery_id}
        assert len(included) == 2
