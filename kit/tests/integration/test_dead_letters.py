"""Poison, malformed and unknown messages against the real broker: none blocks its partition."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from aiokafka import AIOKafkaProducer
from kit_harness import (
    effect_rows,
    event,
    make_schema,
    recording_handler,
    settings_for,
    start_runtime,
)

from contracts import topics
from contracts.envelope import Envelope
from kit.runner import Delivery, PermanentError, Subscription
from kit.runtime import build_runtime
from kit.testing import bootstrap_servers, read_topic, unique, wait_until
from kit.uow import UnitOfWork

pytestmark = pytest.mark.integration

GROUP = unique("kittest.poison.")  # this module's own group on the shared broker


async def produce(topic: str, messages: list[tuple[bytes, bytes, list[tuple[str, bytes]]]]) -> None:
    """Produce raw (key, value, headers) records, in order, to partition 0 of a topic."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers(), enable_idempotence=True)
    await producer.start()
    try:
        for key, value, headers in messages:
            await producer.send_and_wait(topic, value, key=key, headers=headers, partition=0)
    finally:
        await producer.stop()


def record(envelope: Envelope[object]) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """Return an envelope as a raw Kafka record the way the relay writes it."""
    headers = [(k, v.encode()) for k, v in envelope.headers().items()]
    return envelope.subject.encode(), envelope.model_dump_json().encode(), headers


async def test_poison_goes_to_the_dead_letter_and_the_next_message_is_processed(
    database_url: str, topic_prefix: str
) -> None:
    schema = make_schema()
    subscription = Subscription(
        GROUP, (topics.DEPUTIES,), {"deputies.township.registered": recording_handler(schema)}
    )
    runtime = await start_runtime(settings_for(database_url, topic_prefix), schema, [subscription])
    topic = topic_prefix + topics.DEPUTIES
    try:
        before = event("same-key", "before")
        poison = event("same-key", "POISON pill")
        after = event("same-key", "after")
        no_headers = record(event("same-key", "headless"))
        garbage = (
            before.subject.encode(),
            b"{not json",
            [("ce_id", b"x"), ("ce_type", b"deputies.township.registered")],
        )
        unknown = record(event("same-key", "ignored"))
        unknown = (
            unknown[0],
            unknown[1],
            [("ce_id", b"1"), ("ce_type", b"deputies.unheard_of.thing")],
        )
        await produce(
            topic,
            [
                record(before),
                record(poison),
                (no_headers[0], no_headers[1], []),
                garbage,
                unknown,
                record(after),
            ],
        )

        async def after_applied() -> bool:
            return len(await effect_rows(runtime.engine, schema)) == 2

        await wait_until(after_applied)
        assert [r[2] for r in await effect_rows(runtime.engine, schema)] == ["before", "after"]

        dead = await read_topic(f"{topic}.dlq.{GROUP}", expected=3, within=20)
        assert len(dead) == 3
        by_reason = {dict(r.headers)["dlq_reason"].decode(): r for r in dead}
        assert set(by_reason) == {"rejected", "missing_header", "invalid_envelope"}
        rejected = by_reason["rejected"]
        headers = {k: v.decode() for k, v in rejected.headers}
        assert rejected.value == record(poison)[1]
        assert rejected.key == before.subject.encode()
        assert "PermanentError" in headers["dlq_error"]
        assert headers["dlq_handler"] == GROUP
        assert headers["dlq_attempts"] == "1"
        assert headers["dlq_original_topic"] == topic
        assert headers["ce_id"] == str(poison.id)
        assert "dlq_first_failure_time" in headers

        def count(outcome: str) -> float | None:
            return runtime.registry.get_sample_value(
                "kit_consumer_processed_total",
                {"service": "kittest", "group": GROUP, "outcome": outcome},
            )

        assert count("dead_lettered") == 3
        assert count("ignored") == 1
        assert count("ok") == 2
    finally:
        await runtime.stop()


async def test_transient_failures_are_retried_in_place_then_dead_lettered(
    database_url: str, topic_prefix: str
) -> None:
    schema = make_schema()
    failures: dict[str, int] = {}
    recorder = recording_handler(schema)

    async def flaky(delivery: Delivery, uow: UnitOfWork) -> None:
        name = str(delivery.envelope.data["name"])
        failures[name] = failures.get(name, 0) + 1
        if name == "flaky" and failures[name] <= 2:
            raise ConnectionError("database hiccup")
        if name == "broken":
            raise RuntimeError("always fails")
        await recorder(delivery, uow)

    subscription = Subscription(GROUP, (topics.DEPUTIES,), {"deputies.township.registered": flaky})
    settings = settings_for(database_url, topic_prefix, consumer_retry_attempts=3)
    runtime = await start_runtime(settings, schema, [subscription])
    topic = topic_prefix + topics.DEPUTIES
    try:
        await produce(topic, [record(event("k", n)) for n in ("flaky", "broken", "fine")])

        async def done() -> bool:
            return len(await effect_rows(runtime.engine, schema)) == 2

        await wait_until(done)
        assert [r[2] for r in await effect_rows(runtime.engine, schema)] == ["flaky", "fine"]
        assert failures["broken"] == 3
        dead = await read_topic(f"{topic}.dlq.{GROUP}", expected=1, within=20)
        assert len(dead) == 1
        headers = {k: v.decode() for k, v in dead[0].headers}
        assert headers["dlq_reason"] == "retries_exhausted"
        assert headers["dlq_attempts"] == "3"
        assert "RuntimeError: always fails" in headers["dlq_error"]
    finally:
        await runtime.stop()


async def test_a_failing_batch_handler_run_is_split_to_find_the_poison(
    database_url: str, topic_prefix: str
) -> None:
    schema = make_schema()
    calls: list[int] = []

    async def insert_all(deliveries: Sequence[Delivery], uow: UnitOfWork) -> None:
        calls.append(len(deliveries))
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
        GROUP, (topics.DEPUTIES,), batch_handlers={"deputies.township.registered": insert_all}
    )
    runtime = await start_runtime(settings_for(database_url, topic_prefix), schema, [])
    try:
        names = [f"n{i}" for i in range(30)]
        names[17] = "POISON"
        async with runtime.uow() as uow:  # staged before the consumer starts: one big batch
            for n in names:
                uow.stage(event("agg-5", n))
            await uow.commit()
        await read_topic(topic_prefix + topics.DEPUTIES, expected=30)
        consumer = build_runtime(
            runtime.settings, metadata=schema.metadata, subscriptions=[subscription]
        )
        await consumer.start(relay=False)
        try:

            async def applied() -> bool:
                return len(await effect_rows(runtime.engine, schema)) == 29

            await wait_until(applied)
        finally:
            await consumer.stop()
        assert [r[2] for r in await effect_rows(runtime.engine, schema)] == [
            n for n in names if n != "POISON"
        ]
        assert max(calls) > 1  # the healthy runs went in one call each
        dead = await read_topic(f"{topic_prefix}{topics.DEPUTIES}.dlq.{GROUP}", expected=1)
        assert [dict(r.headers)["dlq_reason"] for r in dead] == [b"rejected"]
    finally:
        await runtime.stop()
