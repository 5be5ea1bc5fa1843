"""Subscriptions on FastStream: declaration, routing and handler typing on the in-memory broker.

These prove no delivery guarantee (FastStream's TestKafkaBroker has no offsets, groups or
rebalances): the guarantees are tested on the real broker in kit/tests/integration.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from faststream import AckPolicy
from faststream.kafka import TestKafkaBroker
from faststream.kafka.subscriber.usecase import BatchSubscriber
from pydantic import BaseModel
from sqlalchemy import Column, MetaData, String, Table, select

from contracts import topics
from contracts.catalog import new_envelope, to_bytes
from contracts.deputies import DeputyStatusChanged, TownshipRegistered
from contracts.envelope import Envelope
from kit.db import create_all, kit_tables, make_metadata
from kit.runner import Delivery, Subscription
from kit.runtime import ServiceRuntime, build_app, build_runtime
from kit.settings import ServiceSettings
from kit.uow import UnitOfWork

GROUP = "kittest.roster"
PREFIX = "unit."


def _schema() -> tuple[MetaData, Table]:
    metadata = make_metadata()
    kit_tables(metadata)
    seen = Table(
        "seen",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("model", String(80), nullable=False),
    )
    return metadata, seen


def _subscription(seen: Table, models: list[type[BaseModel]]) -> Subscription:
    async def record(delivery: Delivery, uow: UnitOfWork) -> None:
        models.append(type(delivery.data))
        await uow.session.execute(
            seen.insert().values(
                event_id=str(delivery.envelope.id), model=type(delivery.data).__name__
            )
        )

    return Subscription(GROUP, (topics.DEPUTIES,), {TownshipRegistered.EVENT_TYPE: record})


def _runtime(tmp_path: Path, subscription: Subscription, metadata: MetaData) -> ServiceRuntime:
    settings = ServiceSettings.for_service(
        "kittest",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unit.db'}",
        kafka_topic_prefix=PREFIX,
        jwt_secret="kit-tests-hs256-secret-of-32-bytes-long",
    )
    return build_runtime(settings, metadata=metadata, subscriptions=[subscription])


def _township(name: str) -> Envelope[Any]:
    data = TownshipRegistered(township="990101001", county="990101", name=name, kind="town")
    return new_envelope(data, source="/services/kittest", correlationid="corr-unit")


def test_each_subscription_is_a_faststream_batch_subscriber_with_manual_acknowledgement(
    tmp_path: Path,
) -> None:
    metadata, seen = _schema()
    runtime = _runtime(tmp_path, _subscription(seen, []), metadata)
    [subscriber] = runtime.broker.subscribers
    assert isinstance(subscriber, BatchSubscriber)
    assert subscriber is runtime.runners[0].subscriber
    assert subscriber.group_id == PREFIX + GROUP
    assert subscriber.topic_names == [PREFIX + topics.DEPUTIES]
    assert subscriber.ack_policy is AckPolicy.MANUAL
    assert subscriber.max_records == runtime.settings.consumer_max_records
    assert subscriber._connection_args["auto_offset_reset"] == "earliest"
    assert subscriber._connection_args["enable_auto_commit"] is False


@pytest.fixture
async def in_memory(tmp_path: Path) -> AsyncIterator[tuple[ServiceRuntime, Table, list[type]]]:
    metadata, seen = _schema()
    models: list[type[BaseModel]] = []
    runtime = _runtime(tmp_path, _subscription(seen, models), metadata)
    await create_all(runtime.engine, metadata)
    try:
        yield runtime, seen, models
    finally:
        await runtime.engine.dispose()


async def test_the_handler_of_a_type_gets_its_contract_model_and_other_types_are_ignored(
    in_memory: tuple[ServiceRuntime, Table, list[type]],
) -> None:
    runtime, seen, models = in_memory
    township = _township("东湖镇")
    other = _township("西湖镇")
    async with TestKafkaBroker(runtime.broker) as broker:
        unread = {**other.headers(), "ce_type": DeputyStatusChanged.EVENT_TYPE}
        for envelope, headers in ((other, unread), (township, township.headers())):
            await broker.publish(
                to_bytes(envelope),
                PREFIX + topics.DEPUTIES,
                key=envelope.subject.encode(),
                headers=headers,
            )
    assert models == [TownshipRegistered]
    async with runtime.engine.connect() as conn:
        rows = (await conn.execute(select(seen.c.event_id, seen.c.model))).all()
    assert [tuple(r) for r in rows] == [(str(township.id), "TownshipRegistered")]


async def test_the_subscriptions_asyncapi_is_served_beside_the_contracts(tmp_path: Path) -> None:
    metadata, seen = _schema()
    runtime = _runtime(tmp_path, _subscription(seen, []), metadata)
    app = build_app(runtime, title="kittest")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kittest") as client:
        mine = await client.get("/asyncapi.json")  # no token: public like /openapi.json
        contract = await client.get("/asyncapi/contracts.json")
    assert mine.status_code == 200
    assert contract.status_code == 200
    document = mine.json()
    assert document["asyncapi"] == "3.0.0"
    channel = document["channels"][GROUP]
    assert channel["address"] == PREFIX + topics.DEPUTIES
    [payload] = document["components"]["schemas"].values()
    titles = [item["title"] for item in payload["items"]["oneOf"]]
    assert titles == ["deputies.township.registered v1"]
    assert "name" in payload["items"]["oneOf"][0]["properties"]
    assert contract.json()["asyncapi"] == "3.0.0"
