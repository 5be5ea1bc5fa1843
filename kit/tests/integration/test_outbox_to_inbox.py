"""Outbox -> Kafka -> inbox against the real broker and database: once each, in order per key."""

from __future__ import annotations

from collections import defaultdict

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from kit_harness import (
    effect_rows,
    event,
    make_schema,
    recording_handler,
    settings_for,
    start_runtime,
)
from sqlalchemy import func, select

from contracts import topics
from kit.broker import topic_partitions
from kit.runner import Subscription
from kit.testing import bootstrap_servers, drained, read_all, unique, wait_until

pytestmark = pytest.mark.integration


async def test_every_committed_event_is_applied_once_in_order_per_key(
    database_url: str, topic_prefix: str
) -> None:
    schema = make_schema()
    group = unique("kittest.roundtrip.")  # a group of this test's own on the shared broker
    subscription = Subscription(
        group=group,
        topics=(topics.DEPUTIES,),
        handlers={"deputies.township.registered": recording_handler(schema)},
    )
    runtime = await start_runtime(settings_for(database_url, topic_prefix), schema, [subscription])
    try:
        staged: dict[str, list[str]] = defaultdict(list)
        for batch in range(10):
            async with runtime.uow() as uow:
                for i in range(20):
                    label = f"agg-{i % 7}"
                    envelope = event(label, f"{label}#{batch}-{i}")
                    staged[envelope.subject].append(str(envelope.id))
                    uow.stage(envelope)
                await uow.commit()
        total = sum(len(v) for v in staged.values())

        async def all_applied() -> bool:
            return len(await effect_rows(runtime.engine, schema)) >= total

        await wait_until(all_applied, within=60)
        rows = await effect_rows(runtime.engine, schema)
        assert len(rows) == total
        assert len({r[0] for r in rows}) == total
        applied: dict[str, list[str]] = defaultdict(list)
        for event_id, subject, _ in rows:
            applied[subject].append(event_id)
        assert applied == staged
        async with runtime.engine.connect() as conn:
            inbox = await conn.scalar(select(func.count()).select_from(runtime.tables.inbox))
            unpublished = await conn.scalar(
                select(func.count())
                .select_from(runtime.tables.outbox)
                .where(runtime.tables.outbox.c.published_at.is_(None))
            )
        assert inbox == total
        assert unpublished == 0
        topic = topic_prefix + topics.DEPUTIES

        async def caught_up() -> bool:
            lags = [
                runtime.registry.get_sample_value(
                    "kit_consumer_lag_messages",
                    {
                        "service": "kittest",
                        "group": group,
                        "topic": topic,
                        "partition": str(p),
                    },
                )
                for p in range(3)
            ]
            return lags == [0.0, 0.0, 0.0]

        await wait_until(caught_up, within=10)
    finally:
        await runtime.stop()


async def test_a_rolled_back_transaction_publishes_nothing(
    database_url: str, topic_prefix: str
) -> None:
    schema = make_schema()
    runtime = await start_runtime(settings_for(database_url, topic_prefix), schema, [])
    try:
        async with runtime.uow() as uow:
            uow.stage(event("agg-1", "never"))
            await uow.rollback()
        async with runtime.uow() as uow:
            uow.stage(event("agg-2", "never either"))
        async with runtime.uow() as uow:
            marker = event("agg-3", "marker")
            uow.stage(marker)
            await uow.commit()
        await drained(runtime.engine, runtime.tables.outbox)
        records = await read_all(topic_prefix + topics.DEPUTIES)  # to its end: exactly one
        assert [dict(r.headers)["ce_id"].decode() for r in records] == [str(marker.id)]
    finally:
        await runtime.stop()


async def test_redelivered_events_are_skipped_by_the_inbox(
    database_url: str, topic_prefix: str
) -> None:
    schema = make_schema()
    group = unique("kittest.redelivery.")
    subscription = Subscription(
        group, (topics.DEPUTIES,), {"deputies.township.registered": recording_handler(schema)}
    )
    settings = settings_for(database_url, topic_prefix)
    runtime = await start_runtime(settings, schema, [subscription])
    try:
        async with runtime.uow() as uow:
            for i in range(5):
                uow.stage(event(f"agg-{i}", f"once-{i}"))
            await uow.commit()

        async def applied() -> bool:
            return len(await effect_rows(runtime.engine, schema)) == 5

        await wait_until(applied)
    finally:
        await runtime.stop()
    # Rewind the group to the start: every event is delivered to it a second time.
    await rewind_group(settings.consumer_group_id(group), topic_prefix + topics.DEPUTIES)
    again = await start_runtime(settings, schema, [subscription], relay=False)
    try:

        async def duplicates_seen() -> bool:
            value = again.registry.get_sample_value(
                "kit_consumer_processed_total",
                {"service": "kittest", "group": group, "outcome": "duplicate"},
            )
            return value == 5

        await wait_until(duplicates_seen)
        assert len(await effect_rows(again.engine, schema)) == 5
    finally:
        await again.stop()


async def rewind_group(group: str, topic: str) -> None:
    """Commit offset 0 on every partition of a topic for a consumer group."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers(), group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in await topic_partitions(bootstrap_servers(), topic)]
        consumer.assign(tps)
        await consumer.commit(dict.fromkeys(tps, 0))
    finally:
        await consumer.stop()
