"""A broker that stops answering: the relay's sends time out and count, the outbox gauges keep moving."""

from __future__ import annotations

import asyncio
import time

import pytest
from kit_harness import event, make_schema, settings_for, start_runtime
from private_broker import PrivateBroker

from contracts import topics
from kit.testing import read_topic, wait_until

pytestmark = pytest.mark.integration

ROWS = 300


async def test_outbox_gauges_and_failures_move_while_the_broker_does_not_answer(
    database_url: str, topic_prefix: str, private_broker: PrivateBroker
) -> None:
    schema = make_schema()
    settings = settings_for(
        database_url,
        topic_prefix,
        kafka_bootstrap_servers=private_broker.bootstrap_servers,
        relay_send_timeout_seconds=1.0,
        outbox_gauge_seconds=0.5,
    )
    runtime = await start_runtime(settings, schema, [])
    service = {"service": "kittest"}

    def sample(name: str) -> float:
        return runtime.registry.get_sample_value(name, service) or 0.0

    try:
        async with runtime.uow() as uow:  # the topic exists and the producer is connected
            uow.stage(event("agg-0", "before"))
            await uow.commit()
        await read_topic(
            topic_prefix + topics.DEPUTIES, expected=1, servers=private_broker.bootstrap_servers
        )
        private_broker.freeze()
        try:
            frozen_at = time.monotonic()
            async with runtime.uow() as uow:
                for i in range(ROWS):
                    uow.stage(event(f"agg-{i % 7}", f"during {i}"))
                await uow.commit()

            async def backlog_counted() -> bool:
                return sample("kit_outbox_backlog") == ROWS

            await wait_until(backlog_counted, within=10)
            first_age = sample("kit_outbox_oldest_age_seconds")

            async def age_grows() -> bool:
                return sample("kit_outbox_oldest_age_seconds") >= first_age + 2.0

            await wait_until(age_grows, within=10)
            assert sample("kit_outbox_backlog") == ROWS
            assert sample("kit_outbox_oldest_age_seconds") <= time.monotonic() - frozen_at + 1.0

            async def failures_counted() -> bool:
                return sample("kit_relay_failures_total") >= 2

            await wait_until(failures_counted, within=15)
        finally:
            private_broker.thaw()

        async def drained() -> bool:
            return sample("kit_outbox_backlog") == 0

        await wait_until(drained, within=60)
        records = await read_topic(
            topic_prefix + topics.DEPUTIES,
            expected=ROWS + 1,
            within=30,
            servers=private_broker.bootstrap_servers,
        )
        names = {r.value for r in records}
        assert len(names) == ROWS + 1  # every row published, none lost
    finally:
        await asyncio.wait_for(runtime.stop(), 60)
