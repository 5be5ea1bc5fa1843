"""A broker outage is a few log lines (down, up), not thousands of aiokafka reconnect errors."""

from __future__ import annotations

import asyncio
import logging

import pytest
from kit_harness import (
    effect_rows,
    event,
    make_schema,
    recording_handler,
    settings_for,
    start_runtime,
)
from private_broker import PrivateBroker

from contracts import topics
from kit.runner import Subscription
from kit.testing import count, unique, wait_until

pytestmark = pytest.mark.integration

WATCHED = ("aiokafka", "kit.relay", "kit.runner", "kit.broker", "faststream")


async def test_a_broker_outage_logs_a_handful_of_lines(
    database_url: str,
    topic_prefix: str,
    private_broker: PrivateBroker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    schema = make_schema()
    subscription = Subscription(
        unique("flood"),
        (topics.DEPUTIES,),
        {"deputies.township.registered": recording_handler(schema)},
    )
    settings = settings_for(
        database_url,
        topic_prefix,
        kafka_bootstrap_servers=private_broker.bootstrap_servers,
        relay_send_timeout_seconds=2.0,
    )
    caplog.set_level(logging.INFO, logger="kit")
    caplog.set_level(logging.WARNING, logger="aiokafka")  # as kit.logging configures it
    runtime = await start_runtime(settings, schema, [subscription])
    try:
        async with runtime.uow() as uow:
            uow.stage(event("agg-1", "before"))
            await uow.commit()

        async def applied(n: int) -> bool:
            return len(await effect_rows(runtime.engine, schema)) == n

        await wait_until(lambda: applied(1), within=60)
        caplog.clear()
        await asyncio.to_thread(private_broker.stop)
        async with runtime.uow() as uow:
            uow.stage(event("agg-2", "during"))
            await uow.commit()
        await asyncio.sleep(5)  # the outage: clients retry many times a second
        await asyncio.to_thread(private_broker.start)
        await wait_until(lambda: applied(2), within=120)
        outbox = runtime.tables.outbox

        async def marked() -> bool:  # the relay saw the broker come back
            return await count(runtime.engine, outbox, outbox.c.published_at.is_(None)) == 0

        await wait_until(marked, within=60)
    finally:
        await asyncio.wait_for(runtime.stop(), 60)
    lines = [
        f"{r.name} {r.levelname} {r.getMessage()[:160]}"
        for r in caplog.records
        if r.name.startswith(WATCHED) and r.levelno >= logging.INFO
    ]
    assert len(lines) <= 12, "\n".join(lines)
    relay = [line for line in lines if line.startswith("kit.relay")]
    assert len(relay) == 2, relay  # down, then up
    assert "cannot publish" in relay[0]
    assert "publishes again" in relay[1]
