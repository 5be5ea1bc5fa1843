"""A notify service on the real broker and database: settings, instances, events, directory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import uuid4

import httpx
from aiokafka import AIOKafkaProducer
from sqlalchemy import select

from contracts import topics
from contracts.catalog import model_for, new_envelope, to_bytes
from contracts.common import EventData
from contracts.envelope import Envelope
from contracts.vocabulary import RecipientKind
from kit import testing as kit_testing
from kit.auth.tokens import issue_token
from kit.testing import bootstrap_servers
from notify.bootstrap import Service, build, migrate
from notify.domain.model import Channel, RecipientRef
from notify.settings import NotifySettings
from notify.templates.samples import TYPICAL
from notify.wiring import Core, wire

COUNTY = "330102"
TOWNSHIP = "330102001"
OTHER_TOWNSHIP = "330102002"
SOURCES = {"cases": "/services/cases", "deputies": "/services/deputies"}


def settings_for(
    database_url: str, topic_prefix: str, *, smtp_port: int = 1025, **overrides: Any
) -> NotifySettings:
    """Settings of a test instance on the real broker, a fresh database and a local SMTP sink."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "kafka_bootstrap_servers": bootstrap_servers(),
        "kafka_topic_prefix": topic_prefix,
        "kafka_topic_partitions": 3,
        "relay_poll_seconds": 0.2,
        "job_interval_seconds": 0.2,
        "job_lease_seconds": 5.0,
        "sender_poll_seconds": 0.1,
        "smtp_port": smtp_port,
        "smtp_timeout_seconds": 5.0,
        "retry_base_seconds": 0.2,
        "retry_cap_seconds": 0.5,
        "retry_max_attempts": 3,
        "jwt_secret": "notify-tests-hs256-secret-of-32-bytes-long",
    }
    values.update(overrides)
    return NotifySettings.for_service("notify", **values)


def headers(
    settings: NotifySettings,
    role: str,
    scope: str,
    *,
    subject: str | None = None,
    deputy_id: str | None = None,
    unit_id: str | None = None,
) -> dict[str, str]:
    """Return the Authorization header of a user with one role and a scope."""
    token = issue_token(
        settings,
        subject=subject or f"{role}-{scope}-{deputy_id or unit_id or 'user'}",
        roles=[role],
        scope=scope,
        deputy_id=deputy_id,
        unit_id=unit_id,
    )
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def running_core(
    settings: NotifySettings,
    *,
    consumers: bool = True,
    jobs: bool = False,
    relay: bool = True,
    migrated: bool = False,
) -> AsyncIterator[Core]:
    """Migrate (unless done), wire and start an instance without HTTP; stop it afterwards."""
    if not migrated:
        await migrate(settings)
    core = wire(settings)
    await core.runtime.start(relay=relay, consumers=consumers, jobs=jobs)
    try:
        yield core
    finally:
        await core.runtime.stop()


@asynccontextmanager
async def running_app(
    settings: NotifySettings, *, consumers: bool = False, jobs: bool = False
) -> AsyncIterator[tuple[Service, httpx.AsyncClient]]:
    """Migrate, build and start an instance; yield it with a client talking to its app."""
    await migrate(settings)
    service = build(settings)
    await service.runtime.start(relay=True, consumers=consumers, jobs=jobs)
    transport = httpx.ASGITransport(app=service.app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://notify") as client:
            yield service, client
    finally:
        await service.runtime.stop()


def replied(deputy_id: str, case_id: str = "C-2025-000123", **changes: Any) -> EventData:
    """Return a ``cases.case.replied`` naming one deputy (routed to them at once)."""
    from contracts.catalog import model_for

    model = model_for("cases.case.replied")
    assert model is not None
    values = {**TYPICAL["cases.case.replied"], "deputy_ids": [deputy_id], "case_id": case_id}
    return model.model_validate({**values, **changes})


def closed(deputy_id: str, case_id: str = "C-2025-000123") -> EventData:
    """Return a ``cases.case.closed`` naming one deputy (routed to their daily digest)."""

    model = model_for("cases.case.closed")
    assert model is not None
    values = {**TYPICAL["cases.case.closed"], "deputy_ids": [deputy_id], "case_id": case_id}
    return model.model_validate(values)


def envelope(data: EventData) -> Envelope[Any]:
    """Wrap event data as its producer would."""
    service = data.EVENT_TYPE.split(".")[0]
    return new_envelope(data, source=SOURCES.get(service, "/tests"), correlationid="notify-tests")


async def publish(topic_prefix: str, *envelopes: Envelope[Any]) -> None:
    """Publish envelopes to their service's topic, as a producer's relay does."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers(), enable_idempotence=True)
    await producer.start()
    try:
        for env in envelopes:
            topic = topic_prefix + topics.for_event_type(env.type)
            await producer.send_and_wait(
                topic,
                to_bytes(env),
                key=env.subject.encode(),
                headers=[(k, v.encode()) for k, v in env.headers().items()],
            )
    finally:
        await producer.stop()


async def add_deputy(
    core: Core, deputy_id: str, *, email: str | None = None, township: str = TOWNSHIP
) -> RecipientRef:
    """Put a deputy in the directory with an e-mail address."""
    ref = RecipientRef(RecipientKind.deputy, deputy_id)
    async with core.services.uow() as uow:
        store = core.services.store(uow)
        await store.upsert_recipient(ref, name=f"代表{deputy_id}", township=township, active=True)
        if email:
            await store.set_contact(ref, Channel.email, email)
        await uow.commit()
    return ref


async def rows(core: Core, **where: Any) -> list[Any]:
    """Return the delivery rows matching column values."""
    d = core.services.tables.deliveries
    query = select(d).where(*(d.c[k] == v for k, v in where.items()))
    async with core.runtime.engine.connect() as conn:
        return list((await conn.execute(query)).all())


async def notify_events(
    topic_prefix: str, *, expected: int, in_app: bool = False, within: float = 30.0
) -> list[dict[str, Any]]:
    """Read the notify topic until ``expected`` records are there (in-app ones only if asked)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        records = [
            r
            for r in await kit_testing.published_all(topic_prefix + topics.NOTIFY)
            if in_app or r["envelope"]["data"]["channel"] != "in_app"
        ]
        if len(records) >= expected or asyncio.get_running_loop().time() > deadline:
            return records
        await asyncio.sleep(0.3)


def pending_email(n: int, deputy: str, now: datetime) -> dict[str, Any]:
    """Return a due e-mail delivery row to a deputy (the n-th reply of a backlog), as the intake writes it."""
    return {
        "delivery_id": str(uuid4()),
        "event_id": str(uuid4()),
        "recipient_kind": "deputy",
        "recipient_id": deputy,
        "channel": "email",
        "township": "330102001",
        "event_type": "cases.case.replied",
        "event_time": now,
        "subject": f"C-2025-{n:06d}",
        "template": "cases.case.replied",
        "status": "pending",
        "urgent": False,
        "held": False,
        "next_at": now,
        "title": f"答复 {n}",
        "body": "正文",
        "segments": 0,
        "attempts": 0,
        "created_at": now,
    }
