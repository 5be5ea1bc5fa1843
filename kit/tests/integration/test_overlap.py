"""Overlapped batches (``consumer_overlap``): still applied once each, in order per key, offsets after.

With small batches overlapped (``consumer_overlap_min_records=1``; by default only a backlog's
batches are) the runner validates batch N+1 while batch N's transaction and offset commit run;
these tests read the effects back to check that the order and the inbox still hold, also when a
stop comes while a batch is retrying and the batch behind it must be rewound unapplied. Below the
threshold a batch is done before the next fetch, while the runner reads what arrives into the
next one (``consumer_read_ahead``): the same tests run that way too (``read_ahead``), where a
rewound batch takes what was read after it back with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from kit_harness import effect_rows, event, make_schema, settings_for, start_runtime

from contracts import topics
from contracts.envelope import Envelope
from kit.runner import ConsumerRunner, Delivery, PermanentError, Subscription
from kit.testing import bootstrap_servers, unique, wait_until
from kit.uow import UnitOfWork

pytestmark = pytest.mark.integration

KEYS = 12
PER_KEY = 40


def events() -> list[Envelope[Any]]:
    """Return PER_KEY events for each of KEYS aggregates, interleaved, named ``k<key>-<n>``."""
    return [event(f"agg-{k}", f"k{k}-{n}") for n in range(PER_KEY) for k in range(KEYS)]


async def produce(topic: str, envelopes: Sequence[Envelope[Any]]) -> None:
    """Produce the events keyed by aggregate (the topic's partitions spread the keys)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers(), enable_idempotence=True)
    await producer.start()
    try:
        for e in envelopes:
            headers = [(k, v.encode()) for k, v in e.headers().items()]
            await producer.send(
                topic, e.model_dump_json().encode(), key=e.subject.encode(), headers=headers
            )
        await producer.flush()
    finally:
        await producer.stop()


def in_key_order(names: Sequence[str]) -> bool:
    """Tell whether each key's events appear in increasing order."""
    last: dict[str, int] = {}
    for name in names:
        key, n = name.split("-")
        if int(n) <= last.get(key, -1):
            return False
        last[key] = int(n)
    return True


async def committed_everything(topic: str, group_id: str) -> bool:
    """Tell whether the group committed the end offset of every partition of the topic."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers(), group_id=group_id, enable_auto_commit=False
    )
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        ends = await consumer.end_offsets(parts)
        return all([await consumer.committed(tp) == ends[tp] for tp in parts])
    finally:
        await consumer.stop()


def subscription(
    group: str, schema: Any, *, fail_on: str | None = None, tries: list[str] | None = None
) -> Subscription:
    """A batch handler writing one effect per event; ``fail_on`` fails transiently for ever."""

    async def apply(deliveries: Sequence[Delivery], uow: UnitOfWork) -> None:
        names = [str(d.envelope.data["name"]) for d in deliveries]
        if "POISON" in names:
            raise PermanentError("poisoned")
        if fail_on is not None and fail_on in names:
            if tries is not None:
                tries.append(fail_on)
            raise RuntimeError("the database of a neighbour is down")
        uow.add_all(
            schema.effects,
            [
                {"event_id": str(d.envelope.id), "subject": d.envelope.subject, "name": n}
                for d, n in zip(deliveries, names, strict=True)
            ],
        )

    return Subscription(
        group, (topics.DEPUTIES,), batch_handlers={"deputies.township.registered": apply}
    )


@pytest.mark.parametrize("min_records", [1, 100], ids=["overlapped", "read_ahead"])
async def test_small_overlapped_batches_apply_every_event_once_in_key_order(
    database_url: str, topic_prefix: str, min_records: int
) -> None:
    schema = make_schema()
    group = unique("kittest.overlap.")
    settings = settings_for(
        database_url, topic_prefix, consumer_max_records=7, consumer_overlap_min_records=min_records
    )
    sent = events()
    sent.insert(100, event("agg-3", "POISON"))
    runtime = await start_runtime(settings, schema, [subscription(group, schema)], relay=False)
    try:
        await produce(topic_prefix + topics.DEPUTIES, sent)

        async def all_applied() -> bool:
            return len(await effect_rows(runtime.engine, schema)) >= KEYS * PER_KEY

        await wait_until(all_applied, within=60)
        group_id = settings.consumer_group_id(group)
        await wait_until(
            lambda: committed_everything(topic_prefix + topics.DEPUTIES, group_id), within=20
        )
    finally:
        await runtime.stop()
    rows = await effect_rows(runtime.engine, schema)
    names = [name for _, _, name in rows]
    assert sorted(names) == sorted(str(e.data.name) for e in sent if e.data.name != "POISON")
    assert len({event_id for event_id, _, _ in rows}) == len(rows)
    assert in_key_order(names)
    dead = runtime.registry.get_sample_value(
        "kit_dead_letters_total",
        {
            "service": "kittest",
            "group": group,
            "topic": topic_prefix + topics.DEPUTIES,
            "reason": "rejected",
        },
    )
    assert dead == 1


@pytest.mark.parametrize("min_records", [1, 100], ids=["overlapped", "read_ahead"])
async def test_a_stop_while_a_batch_retries_rewinds_the_batch_behind_it_unapplied(
    database_url: str, topic_prefix: str, min_records: int
) -> None:
    schema = make_schema()
    group = unique("kittest.overlap.")
    settings = settings_for(
        database_url,
        topic_prefix,
        consumer_max_records=5,
        consumer_overlap_min_records=min_records,
        consumer_retry_attempts=10_000,
        consumer_retry_backoff_seconds=0.05,
        consumer_retry_backoff_max_seconds=0.05,
    )
    sent = events()
    stuck = str(sent[200].data.name)
    tries: list[str] = []
    first = await start_runtime(
        settings, schema, [subscription(group, schema, fail_on=stuck, tries=tries)], relay=False
    )
    try:
        await produce(topic_prefix + topics.DEPUTIES, sent)

        async def retrying() -> bool:
            return len(tries) >= 5

        await wait_until(retrying, within=60)
        await asyncio.sleep(0.5)  # the batches behind it are fetched and validated meanwhile
    finally:
        await first.stop()
    before = [name for _, _, name in await effect_rows(first.engine, schema)]
    key, n = stuck.split("-")
    assert not [
        name
        for name in before
        if name.startswith(key + "-") and int(name[len(key) + 1 :]) >= int(n)
    ]
    assert in_key_order(before)
    second = await start_runtime(settings, schema, [subscription(group, schema)], relay=False)
    try:

        async def all_applied() -> bool:
            return len(await effect_rows(second.engine, schema)) >= KEYS * PER_KEY

        await wait_until(all_applied, within=60)
    finally:
        await second.stop()
    rows = await effect_rows(second.engine, schema)
    names = [name for _, _, name in rows]
    assert sorted(names) == sorted(str(e.data.name) for e in sent)
    assert len({event_id for event_id, _, _ in rows}) == len(rows)
    assert in_key_order(names)


@pytest.mark.parametrize("min_records", [1, 100], ids=["overlapped", "read_ahead"])
async def test_a_batch_whose_validation_fails_unexpectedly_is_read_again_not_skipped(
    database_url: str, topic_prefix: str, min_records: int
) -> None:
    """An upcaster that raises once (a bug, not a bad event): the batch is rewound, not passed."""
    schema = make_schema()
    group = unique("kittest.overlap.")
    settings = settings_for(
        database_url, topic_prefix, consumer_max_records=5, consumer_overlap_min_records=min_records
    )
    sent = events()
    flaky = str(sent[150].data.name)
    raised: list[str] = []

    def upcast(data: Any) -> Any:
        if data.name == flaky and not raised:
            raised.append(flaky)
            raise RuntimeError("an upcaster's bug")
        return data

    base = subscription(group, schema)
    flaky_subscription = Subscription(
        base.group,
        base.topics,
        batch_handlers=base.batch_handlers,
        versions={"deputies.township.registered": {1: upcast}},
    )
    runtime = await start_runtime(settings, schema, [flaky_subscription], relay=False)
    try:
        await produce(topic_prefix + topics.DEPUTIES, sent)

        async def all_applied() -> bool:
            return len(await effect_rows(runtime.engine, schema)) >= KEYS * PER_KEY

        await wait_until(all_applied, within=60)
    finally:
        await runtime.stop()
    rows = await effect_rows(runtime.engine, schema)
    names = [name for _, _, name in rows]
    assert raised == [flaky]
    assert sorted(names) == sorted(str(e.data.name) for e in sent)
    assert in_key_order(names)


@pytest.mark.parametrize(("min_records", "overlapped"), [(100, False), (1, True)])
async def test_only_batches_of_the_threshold_or_more_are_applied_while_the_next_is_fetched(
    database_url: str, topic_prefix: str, min_records: int, overlapped: bool
) -> None:
    """Batches of at most 7 records: below the default threshold each is done in the fetch loop
    (nothing in flight while its handler runs); with a threshold of 1 each runs in flight."""
    schema = make_schema()
    group = unique("kittest.overlap.")
    settings = settings_for(
        database_url,
        topic_prefix,
        consumer_max_records=7,
        consumer_overlap_min_records=min_records,
    )
    in_flight: list[bool] = []
    runners: list[ConsumerRunner] = []
    base = subscription(group, schema)
    write = base.batch_handlers["deputies.township.registered"]

    async def apply(deliveries: Sequence[Delivery], uow: UnitOfWork) -> None:
        in_flight.append(runners[0]._inflight is not None)
        await write(deliveries, uow)

    observed = Subscription(
        base.group, base.topics, batch_handlers={"deputies.township.registered": apply}
    )
    runtime = await start_runtime(settings, schema, [observed], relay=False)
    runners.extend(runtime.runners)
    sent = events()[:120]
    try:
        await produce(topic_prefix + topics.DEPUTIES, sent)

        async def all_applied() -> bool:
            return len(await effect_rows(runtime.engine, schema)) >= len(sent)

        await wait_until(all_applied, within=60)
    finally:
        await runtime.stop()
    assert len(in_flight) >= len(sent) // 7
    assert set(in_flight) == {overlapped}
    names = [name for _, _, name in await effect_rows(runtime.engine, schema)]
    assert sorted(names) == sorted(str(e.data.name) for e in sent)
    assert in_key_order(names)
