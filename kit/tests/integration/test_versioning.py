"""A type moves to v2: consumers first learn to read it, then the producer switches; no dead letter for
the upgraded consumer, a clear one for a v1-only consumer, and no effect applied twice anywhere."""

from __future__ import annotations

import pytest
from kit_harness import event, make_schema, settings_for, start_runtime, township_code
from pydantic import Field
from sqlalchemy import select

from contracts import topics
from contracts.catalog import SPECS, build
from contracts.common import CountyCode, EventData, Text, TownshipCode
from contracts.deputies import TownshipRegistered
from contracts.envelope import Envelope, schema_uri
from contracts.vocabulary import TownshipKind
from kit.runner import Delivery, Subscription, as_parsed
from kit.testing import read_topic, unique, wait_until
from kit.uow import UnitOfWork

pytestmark = pytest.mark.integration

TYPE = TownshipRegistered.EVENT_TYPE


class TownshipRegisteredV2(EventData):
    """v2 of deputies.township.registered: `name` became `title` (a breaking rename)."""

    EVENT_TYPE = TYPE
    VERSION = 2
    AGGREGATE = "township"
    SUBJECT = "township"

    township: TownshipCode
    county: CountyCode = Field(description="County of the township")
    title: Text = Field(description="Official name")
    kind: TownshipKind = Field(description="镇 or 街道")


SPECS_WITH_V2 = {**SPECS, **build({"deputies": [TownshipRegisteredV2]})}


def v1_to_v2(data: TownshipRegistered) -> TownshipRegisteredV2:
    """The upgraded consumer's upcaster: a v1 payload in the v2 model."""
    return TownshipRegisteredV2(
        township=data.township, county=data.county, title=data.name, kind=data.kind
    )


def event_v2(label: str, title: str) -> Envelope[TownshipRegisteredV2]:
    """A v2 envelope as the switched producer writes it (once, never beside a v1 copy)."""
    code = township_code(label)
    data = TownshipRegisteredV2(township=code, county="990101", title=title, kind=TownshipKind.town)
    return Envelope(
        type=TYPE,
        dataschema=schema_uri(TYPE, 2),
        source="/services/kittest",
        subject=code,
        township=code,
        correlationid=f"corr-{label}",
        data=data,
    )


async def test_a_migration_to_v2_dead_letters_nothing_upgraded_and_applies_nothing_twice(
    database_url: str, topic_prefix: str
) -> None:
    schema = make_schema()
    old_group, new_group = unique("v1only"), unique("upgraded")

    async def old_handler(delivery: Delivery, uow: UnitOfWork) -> None:
        data = delivery.data
        assert isinstance(data, TownshipRegistered)
        await record(uow, delivery, "old", data.name)

    async def new_handler(delivery: Delivery, uow: UnitOfWork) -> None:
        data = delivery.data
        assert isinstance(data, TownshipRegisteredV2)
        await record(uow, delivery, "new", data.title)

    async def record(uow: UnitOfWork, delivery: Delivery, who: str, name: str) -> None:
        await uow.session.execute(
            schema.effects.insert().values(
                event_id=str(delivery.envelope.id), subject=who, name=name
            )
        )

    old = Subscription(old_group, (topics.DEPUTIES,), {TYPE: old_handler}, specs=SPECS_WITH_V2)
    upgraded = Subscription(
        new_group,
        (topics.DEPUTIES,),
        {TYPE: new_handler},
        versions={TYPE: {1: v1_to_v2, 2: as_parsed}},
        specs=SPECS_WITH_V2,
    )
    settings = settings_for(database_url, topic_prefix)
    producer = await start_runtime(settings, schema, [old])
    consumer = None

    async def effects(who: str) -> list[tuple[str, str]]:
        async with producer.engine.connect() as conn:
            rows = await conn.execute(
                select(schema.effects.c.event_id, schema.effects.c.name)
                .where(schema.effects.c.subject == who)
                .order_by(schema.effects.c.seq)
            )
            return [(r[0], r[1]) for r in rows]

    try:
        # 1. the producer publishes v1; the v1-only consumer applies it
        async with producer.uow() as uow:
            for i in range(3):
                uow.stage(event(f"agg-{i}", f"v1-{i}"))
            await uow.commit()

        async def old_applied_v1() -> bool:
            return len(await effects("old")) == 3

        await wait_until(old_applied_v1)
        # 2. the upgraded consumer is deployed first: it reads v1 through its upcaster
        consumer = await start_runtime(settings, schema, [upgraded], relay=False)

        async def new_applied(n: int) -> bool:
            return len(await effects("new")) == n

        await wait_until(lambda: new_applied(3))
        # 3. the producer switches to v2: each fact is published once, in v2 only
        async with producer.uow() as uow:
            for i in range(3):
                uow.stage(event_v2(f"agg-{i}", f"v2-{i}"))
            await uow.commit()
        await wait_until(lambda: new_applied(6))
        dead_old = await read_topic(
            f"{topic_prefix}{topics.DEPUTIES}.dlq.{old_group}", expected=3, within=20
        )
        dead_new = await read_topic(
            f"{topic_prefix}{topics.DEPUTIES}.dlq.{new_group}", expected=1, within=3
        )
        new, old_effects = await effects("new"), await effects("old")
    finally:
        if consumer is not None:
            await consumer.stop()
        await producer.stop()

    assert sorted(name for _, name in new) == sorted(
        [f"v1-{i}" for i in range(3)] + [f"v2-{i}" for i in range(3)]
    )
    assert len({event_id for event_id, _ in new}) == 6  # no effect twice
    assert sorted(name for _, name in old_effects) == ["v1-0", "v1-1", "v1-2"]  # v2 not applied
    assert dead_new == []
    assert len(dead_old) == 3
    for dead in dead_old:
        headers = {k: v.decode() for k, v in dead.headers}
        assert headers["dlq_reason"] == "unsupported_version"
        assert "reads deputies.township.registered in v1, not v2" in headers["dlq_error"]
    assert (
        producer.registry.get_sample_value(
            "kit_dead_letters_total",
            {
                "service": "kittest",
                "group": old_group,
                "topic": topic_prefix + topics.DEPUTIES,
                "reason": "unsupported_version",
            },
        )
        == 3
    )
    assert consumer is not None
    assert consumer.registry.get_sample_value(
        "kit_consumer_processed_total",
        {"service": "kittest", "group": new_group, "outcome": "dead_lettered"},
    ) in (None, 0.0)
