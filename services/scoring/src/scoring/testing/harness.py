"""A scoring service on the real broker and database: settings, a running app, tokens, events."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from contracts import topics
from contracts.catalog import new_envelope
from contracts.common import EventData
from contracts.envelope import Envelope, RawEnvelope
from kit.auth.tokens import issue_token
from kit.broker import ensure_topics, topic_partitions
from kit.testing import bootstrap_servers
from scoring.bootstrap import Service, build, migrate
from scoring.handlers.consume import apply_event
from scoring.settings import ScoringSettings
from scoring.wiring import Core, wire

SECRET = "scoring-tests-hs256-secret-of-32-bytes"  # noqa: S105 (tests only)


def settings_for(database_url: str, topic_prefix: str, **overrides: Any) -> ScoringSettings:
    """Settings of a test instance on the real broker and a fresh database."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "kafka_bootstrap_servers": bootstrap_servers(),
        "kafka_topic_prefix": topic_prefix,
        "kafka_topic_partitions": 3,
        "relay_poll_seconds": 0.2,
        "jwt_secret": SECRET,
    }
    values.update(overrides)
    return ScoringSettings.for_service("scoring", **values)


def headers(
    settings: ScoringSettings, role: str, scope: str, *, deputy_id: str | None = None
) -> dict[str, str]:
    """Return the Authorization header of a user with one role and a scope."""
    token = issue_token(
        settings,
        subject=f"{role}-{scope}-{deputy_id or 'user'}",
        roles=[role],
        scope=scope,
        deputy_id=deputy_id,
    )
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def running_core(
    settings: ScoringSettings, *, relay: bool = True, consumers: bool = True
) -> AsyncIterator[Core]:
    """Migrate, wire and start an instance without HTTP; stop it afterwards."""
    await migrate(settings)
    core = wire(settings)
    await core.runtime.start(relay=relay, consumers=consumers, jobs=False)
    try:
        yield core
    finally:
        await core.runtime.stop()


@asynccontextmanager
async def running_app(
    settings: ScoringSettings, *, relay: bool = True, consumers: bool = False
) -> AsyncIterator[tuple[Service, httpx.AsyncClient]]:
    """Migrate, build and start an instance; yield it with a client talking to its app."""
    await migrate(settings)
    service = build(settings)
    await service.runtime.start(relay=relay, consumers=consumers, jobs=False)
    transport = httpx.ASGITransport(app=service.app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://scoring") as client:
            yield service, client
    finally:
        await service.runtime.stop()


def envelope(data: EventData, **attributes: Any) -> Envelope[Any]:
    """Wrap event data as its producer would."""
    source = "/services/" + data.EVENT_TYPE.split(".")[0]
    return new_envelope(data, source=source, correlationid="test-flow", **attributes)


async def produce(settings: ScoringSettings, events: Iterable[Envelope[Any]]) -> None:
    """Put envelopes on the prefixed topics of their producers, keyed by subject."""
    prefix = settings.kafka_topic_prefix
    named = [prefix + topics.DEPUTIES, prefix + topics.CASES]
    await ensure_topics(settings.kafka_bootstrap_servers, named, partitions=3)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for e in events:
            topic = prefix + (topics.DEPUTIES if e.type.startswith("deputies.") else topics.CASES)
            await producer.send_and_wait(
                topic,
                e.model_dump_json().encode(),
                key=e.subject.encode(),
                headers=[(k, v.encode()) for k, v in e.headers().items()],
            )
    finally:
        await producer.stop()


async def caught_up(settings: ScoringSettings, group: str) -> bool:
    """Tell whether a consumer group has committed every record of the two topics it reads."""
    prefix = settings.kafka_topic_prefix
    servers = settings.kafka_bootstrap_servers
    parts = [
        TopicPartition(prefix + topic, p)
        for topic in (topics.DEPUTIES, topics.CASES)
        for p in await topic_partitions(servers, prefix + topic)
    ]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers,
        group_id=settings.consumer_group_id(group),
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        ends = await consumer.end_offsets(parts)
        for tp in parts:
            if ends[tp] and (await consumer.committed(tp) or 0) < ends[tp]:
                return False
        return bool(parts)
    finally:
        await consumer.stop()


async def ingest(service: Service | Core, events: Iterable[Envelope[Any]]) -> None:
    """Apply events as the consumer does, each in its own transaction (no broker round trip)."""
    svc = service.services
    for e in events:
        async with svc.uow() as uow:
            await apply_event(svc, uow, RawEnvelope.model_validate(e.model_dump(mode="json")))
            await uow.commit()
