"""A batch handler for several types (``runs_across_types``) takes a mixed fetch in one call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from kit_harness import effect_rows, event, make_schema, settings_for, start_runtime

from contracts import topics
from contracts.catalog import new_envelope
from contracts.deputies import StationUpdated
from contracts.envelope import Envelope
from kit.runner import Delivery, PermanentError, Subscription
from kit.runtime import build_runtime
from kit.testing import bootstrap_servers, read_topic, unique, wait_until
from kit.uow import UnitOfWork

pytestmark = pytest.mark.integration

GROUP = unique("kittest.mixed.")
TOWNSHIP = "deputies.township.registered"
STATION = "deputies.station.updated"


def station(name: str) -> Envelope[Any]:
    """Return a valid ``deputies.station.updated`` event named ``name``."""
    data = StationUpdated(
        station_id="s-1",
        township="990101001",
        name=name,
        kind="station",
        location="东湖镇政府",
        schedule="每月 15 日",
        content_updated_at=datetime(2026, 1, 1, tzinfo=UTC),
        aggregate_version=1,
    )
    return new_envelope(data, source="/tests/kit", correlationid="kit-test")


async def produce(topic: str, envelopes: Sequence[Envelope[Any]]) -> None:
    """Produce envelopes, in order, to partition 0 of a topic (one fetch holds them all)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers(), enable_idempotence=True)
    await producer.start()
    try:
        for e in envelopes:
            headers = [(k, v.encode()) for k, v in e.headers().items()]
            await producer.send_and_wait(
                topic, e.model_dump_json().encode(), key=b"k", headers=headers, partition=0
            )
    finally:
        await producer.stop()


@pytest.mark.parametrize("poisoned", [False, True])
async def test_a_mixed_fetch_goes_to_one_handler_in_order_and_a_poison_is_found_alone(
    database_url: str, topic_prefix: str, poisoned: bool
) -> None:
    schema = make_schema()
    calls: list[list[str]] = []

    async def insert_all(deliveries: Sequence[Delivery], uow: UnitOfWork) -> None:
        calls.append([d.envelope.type for d in deliveries])
        names = [str(d.envelope.data["name"]) for d in deliveries]
        if any("POISON" in n for n in names):
            raise PermanentError("a poisoned run")
        await uow.session.execute(
            schema.effects.insert(),
            [
                {"event_id": str(d.envelope.id), "subject": d.envelope.subject, "name": n}
                for d, n in zip(deliveries, names, strict=True)
            ],
        )

    subscription = Subscription(
        GROUP,
        (topics.DEPUTIES,),
        batch_handlers={TOWNSHIP: insert_all, STATION: insert_all},
        runs_across_types=True,
    )
    runtime = await start_runtime(settings_for(database_url, topic_prefix), schema, [])
    topic = topic_prefix + topics.DEPUTIES
    names = [f"n{i}" for i in range(24)]
    if poisoned:
        names[13] = "POISON"
    first = event("agg-1", names[0])
    backlog = [
        station(n) if i % 3 == 1 else (first if i == 0 else event("agg-1", n))
        for i, n in enumerate(names)
    ]
    backlog.insert(5, first)  # a redelivery inside the fetch: applied once
    try:
        await produce(topic, backlog)
        await read_topic(topic, expected=len(backlog))
        consumer = build_runtime(
            runtime.settings, metadata=schema.metadata, subscriptions=[subscription]
        )
        await consumer.start(relay=False)
        try:
            expected = [n for n in names if n != "POISON"]

            async def applied() -> bool:
                return len(await effect_rows(runtime.engine, schema)) == len(expected)

            await wait_until(applied)
        finally:
            await consumer.stop()
        assert [r[2] for r in await effect_rows(runtime.engine, schema)] == expected
        assert max(len(c) for c in calls) > 1
        assert any({TOWNSHIP, STATION} <= set(c) for c in calls)  # one call, both types
        if poisoned:
            dead = await read_topic(f"{topic}.dlq.{GROUP}", expected=1)
            assert [dict(r.headers)["ce_type"] for r in dead] == [STATION.encode()]
            assert [dict(r.headers)["dlq_reason"] for r in dead] == [b"rejected"]
            assert [1] in [[len(c)] for c in calls]  # the fallback went one event at a time
    finally:
        await runtime.stop()
