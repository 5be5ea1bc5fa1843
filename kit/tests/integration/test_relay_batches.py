"""The relay's batches: each key on the partition ``send`` chooses, in order, handed over once."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from datetime import UTC, datetime

import pytest
from kit_harness import event, make_schema, settings_for, start_runtime
from private_broker import PrivateBroker

from contracts import topics
from kit.broker import Outgoing, ProducerPublisher, ensure_topics
from kit.testing import bootstrap_servers, drained, read_all, read_topic, wait_until

pytestmark = pytest.mark.integration

BIG = 200_000  # bytes: two records fill a 512 kB batch


async def test_send_many_puts_every_key_where_send_puts_it_in_order(
    database_url: str, topic_prefix: str
) -> None:
    batched, single = topic_prefix + "batched", topic_prefix + "single"
    await ensure_topics(bootstrap_servers(), [batched, single], partitions=5)
    settings = settings_for(database_url, topic_prefix)
    publisher = ProducerPublisher(settings)
    await publisher.start()
    # a few keys with large values: several batches a partition, handed over in turns
    keys = [f"aggregate-{k}-{uuid.uuid4().hex[:6]}" for k in range(9)]
    records = [
        Outgoing(batched, keys[i % 9], f"{i:05d}".encode() + b"." * (BIG if i % 4 else 10), {})
        for i in range(60)
    ]
    try:
        handed: list[int] = []
        futures = []
        async for future, indexes in publisher.send_many(records):
            futures.append(future)
            handed.extend(indexes)
        await asyncio.gather(*futures)
        for key in keys:
            await (await publisher.send(single, key=key, value=b"-", headers={}))
    finally:
        await publisher.stop()
    assert sorted(handed) == list(range(60))  # every record handed over once
    got = await read_all(batched)
    assert len(got) == 60
    chosen = {r.key: r.partition for r in await read_all(single)}
    per_key: dict[bytes, list[int]] = defaultdict(list)
    for record in sorted(got, key=lambda r: (r.partition, r.offset)):
        assert record.key is not None
        assert record.value is not None
        assert record.partition == chosen[record.key]  # where `send` put the same key
        per_key[record.key].append(int(record.value[:5]))
    for numbers in per_key.values():
        assert numbers == sorted(numbers)  # in the order given


async def test_sends_cut_short_by_a_frozen_broker_go_out_once_and_in_order(
    database_url: str, topic_prefix: str, private_broker: PrivateBroker
) -> None:
    settings = settings_for(
        database_url,
        topic_prefix,
        kafka_bootstrap_servers=private_broker.bootstrap_servers,
        relay_send_timeout_seconds=1.0,
    )
    schema = make_schema()
    runtime = await start_runtime(settings, schema, [], consumers=False)
    topic = topic_prefix + topics.DEPUTIES
    service = {"service": "kittest"}

    def failures() -> float:
        return runtime.registry.get_sample_value("kit_relay_failures_total", service) or 0.0

    try:
        async with runtime.uow() as uow:  # the topic exists and the producer is connected
            uow.stage(event("agg-0", "before"))
            await uow.commit()
        await read_topic(topic, expected=1, servers=private_broker.bootstrap_servers)
        private_broker.freeze()
        try:
            # one key, 12 rows of 200 kB: six batches of one partition in one round; while
            # the broker is frozen the first is in flight, the second queued and the third
            # cannot be handed over: the round sends four rows, the rest wait for the next
            table = runtime.tables.outbox
            async with runtime.engine.begin() as conn:
                await conn.execute(
                    table.insert(),
                    [
                        {
                            "event_id": str(uuid.uuid4()),
                            "event_type": "test.big",
                            "topic": topic,
                            "key": "one-key",
                            "headers": {"n": str(i)},
                            "payload": f"{i:05d}" + "." * BIG,
                            "created_at": datetime.now(UTC),
                        }
                        for i in range(12)
                    ],
                )
            runtime.outbox.wakeup.set()

            async def failing() -> bool:
                return failures() >= 2

            await wait_until(failing, within=20)
        finally:
            private_broker.thaw()
        await drained(runtime.engine, runtime.tables.outbox, within=60)
        records = await read_all(topic, servers=private_broker.bootstrap_servers)
        big = [r for r in records if r.key == b"one-key"]
        assert [int((r.value or b"")[:5]) for r in big] == list(range(12))  # once, in order
    finally:
        await asyncio.wait_for(runtime.stop(), 60)
