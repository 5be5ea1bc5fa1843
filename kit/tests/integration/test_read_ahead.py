"""What a record waits for at a trickle: the batch in hand only, never a fetch or an offset commit.

aiokafka buffers one fetched result per partition until it is consumed and, while one is buffered,
holds back the other partitions of its broker for ``prefetch_backoff`` (0.1 s): a record arriving
while a batch was applied waited for that batch, then for the fetch of what arrived after the
buffered result. The runner reads ahead while a small batch is applied (``consumer_read_ahead``),
sets the backoff (``consumer_prefetch_backoff_ms``) and commits a batch's offsets behind the next
batch (``consumer_commit_behind``); these tests check each on the real broker and database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from kit_harness import effect_rows, event, make_schema, settings_for, start_runtime

from contracts import topics
from contracts.envelope import Envelope
from kit.broker import ensure_platform_topics
from kit.runner import Delivery, Subscription, set_prefetch_backoff
from kit.testing import bootstrap_servers, unique, wait_until
from kit.uow import UnitOfWork

pytestmark = pytest.mark.integration

EVENT_TYPE = "deputies.township.registered"


async def send(producer: AIOKafkaProducer, topic: str, e: Envelope[Any], partition: int) -> None:
    """Send one event to one partition and wait for the broker to have it."""
    headers = [(k, v.encode()) for k, v in e.headers().items()]
    await producer.send_and_wait(
        topic, e.model_dump_json().encode(), headers=headers, partition=partition
    )


def recording(
    schema: Any, batches: list[list[str]], before: Callable[[], Awaitable[None]] | None = None
) -> Subscription:
    """A batch handler recording each call's names (after ``before``) and writing effects."""

    async def apply(deliveries: Sequence[Delivery], uow: UnitOfWork) -> None:
        names = [str(d.envelope.data["name"]) for d in deliveries]
        batches.append(names)
        if before is not None:
            await before()
        uow.add_all(
            schema.effects,
            [
                {"event_id": str(d.envelope.id), "subject": d.envelope.subject, "name": n}
                for d, n in zip(deliveries, names, strict=True)
            ],
        )

    return Subscription(
        unique("kittest.ahead."), (topics.DEPUTIES,), batch_handlers={EVENT_TYPE: apply}
    )


@pytest.mark.parametrize(("backoff_ms", "fetched"), [(0, True), (1000, False)])
async def test_the_prefetch_backoff_reaches_aiokafka(
    topic_prefix: str, backoff_ms: int, fetched: bool
) -> None:
    """With partition 0's fetched record left unconsumed, partition 1's new record is fetched at
    once with no backoff, and not for a second with one of a second (fails if aiokafka renames
    the fetcher's ``_prefetch_backoff``: the setting would not hold partition 1 back)."""
    settings = settings_for("sqlite+aiosqlite://", topic_prefix, kafka_topic_partitions=2)
    topic = topic_prefix + topics.DEPUTIES
    await ensure_platform_topics(settings, [topic])
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers(),
        group_id=unique("kittest.backoff."),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers())
    await producer.start()
    await consumer.start()
    try:
        assert set_prefetch_backoff(consumer, backoff_ms / 1000)
        first, second = TopicPartition(topic, 0), TopicPartition(topic, 1)

        async def assigned() -> bool:
            return bool(consumer.assignment() == {first, second})

        await wait_until(assigned, within=30)
        await send(producer, topic, event("agg-1", "first"), 0)

        async def buffered() -> bool:  # fetched, never consumed: no getmany in this test
            return bool(consumer.highwater(first) == 1)

        await wait_until(buffered, within=10, interval=0.005)
        await send(producer, topic, event("agg-2", "second"), 1)

        async def second_fetched() -> bool:
            return bool(consumer.highwater(second) == 1)

        if fetched:
            await wait_until(second_fetched, within=10, interval=0.005)
        else:
            await asyncio.sleep(0.3)  # well inside the second's backoff
            assert not await second_fetched()
        records = await consumer.getmany(timeout_ms=5000)
        assert first in records
    finally:
        await consumer.stop()
        await producer.stop()


async def test_what_arrives_while_a_batch_is_applied_is_the_next_batch_whole(
    database_url: str, topic_prefix: str
) -> None:
    """Batch 1 is held in its handler while five records arrive, two on its own partition: the
    runner reads all of them meanwhile (each partition's fetch position reaches its end, which
    aiokafka alone never does for partition 0 while its first record after the batch waits
    buffered), and batch 2 is those five."""
    schema = make_schema()
    batches: list[list[str]] = []
    release = asyncio.Event()

    async def hold_the_first() -> None:
        if len(batches) == 1:
            await release.wait()

    settings = settings_for(database_url, topic_prefix, consumer_prefetch_backoff_ms=100)
    subscription = recording(schema, batches, hold_the_first)
    runtime = await start_runtime(settings, schema, [subscription], relay=False)
    topic = topic_prefix + topics.DEPUTIES
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers())
    await producer.start()
    try:
        await runtime.runners[0].assigned.event.wait()
        await send(producer, topic, event("agg-0", "e0"), 0)

        async def held() -> bool:
            return len(batches) == 1

        await wait_until(held, within=30)
        for name, partition in [("e1", 0), ("e2", 0), ("e3", 1), ("e4", 2), ("e5", 1)]:
            await send(producer, topic, event(f"agg-{name}", name), partition)
        consumer = runtime.runners[0].subscriber.consumer
        assert consumer is not None
        ends = {
            TopicPartition(topic, 0): 3,
            TopicPartition(topic, 1): 2,
            TopicPartition(topic, 2): 1,
        }

        async def read_meanwhile() -> bool:
            return all([await consumer.position(tp) == end for tp, end in ends.items()])

        await wait_until(read_meanwhile, within=10, interval=0.01)
        release.set()

        async def all_applied() -> bool:
            return len(await effect_rows(runtime.engine, schema)) == 6

        await wait_until(all_applied, within=30)
    finally:
        release.set()
        await producer.stop()
        await runtime.stop()
    assert batches[0] == ["e0"]
    assert sorted(batches[1]) == ["e1", "e2", "e3", "e4", "e5"]
    assert len(batches) == 2
    assert batches[1].index("e1") < batches[1].index("e2")


async def test_the_next_batch_is_applied_while_the_last_one_commits_its_offsets_in_order(
    database_url: str, topic_prefix: str
) -> None:
    """Batch 1's offset commit is held at the broker's door: batch 2 is applied meanwhile (after
    batch 1's transaction), its own commit waits for batch 1's, and both end committed in order."""
    schema = make_schema()
    batches: list[list[str]] = []
    subscription = recording(schema, batches)
    settings = settings_for(database_url, topic_prefix)
    runtime = await start_runtime(settings, schema, [subscription], relay=False)
    topic = topic_prefix + topics.DEPUTIES
    commits: list[Mapping[TopicPartition, int]] = []
    first_commit = asyncio.Event()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers())
    await producer.start()
    try:
        await runtime.runners[0].assigned.event.wait()
        consumer = runtime.runners[0].subscriber.consumer
        assert consumer is not None
        commit = consumer.commit

        async def held_commit(offsets: Mapping[TopicPartition, int]) -> None:
            commits.append(dict(offsets))
            if len(commits) == 1:
                await first_commit.wait()
            await commit(offsets)

        consumer.commit = held_commit
        await send(producer, topic, event("agg-0", "e0"), 0)

        async def committing() -> bool:
            return len(commits) == 1

        await wait_until(committing, within=30)
        await send(producer, topic, event("agg-1", "e1"), 1)

        async def second_applied() -> bool:
            return [name for _, _, name in await effect_rows(runtime.engine, schema)] == [
                "e0",
                "e1",
            ]

        await wait_until(second_applied, within=30)
        assert len(commits) == 1  # batch 2's commit waits behind batch 1's
        first_commit.set()
        first, second = TopicPartition(topic, 0), TopicPartition(topic, 1)

        async def both_committed() -> bool:
            return bool(
                await consumer.committed(first) == 1 and await consumer.committed(second) == 1
            )

        await wait_until(both_committed, within=30)
    finally:
        first_commit.set()
        await producer.stop()
        await runtime.stop()
    assert commits == [{TopicPartition(topic, 0): 1}, {TopicPartition(topic, 1): 1}]
    assert batches == [["e0"], ["e1"]]
