"""Shared pieces of the kit's integration tests: a service-like schema, a recording handler."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.catalog import new_envelope
from contracts.deputies import TownshipRegistered
from contracts.envelope import Envelope
from kit.db import create_all, kit_tables, make_metadata
from kit.runner import Delivery, Handler, PermanentError, Subscription
from kit.runtime import ServiceRuntime, build_runtime
from kit.settings import ServiceSettings
from kit.testing import bootstrap_servers
from kit.uow import UnitOfWork


@dataclass(frozen=True)
class Schema:
    """A service-like schema: the kit tables plus an `effects` table the test handler writes."""

    metadata: MetaData
    effects: Table


def make_schema() -> Schema:
    """Return a fresh metadata with the kit tables and an effects table."""
    metadata = make_metadata()
    kit_tables(metadata)
    effects = Table(
        "effects",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False),
        Column("subject", String(120), nullable=False),
        Column("name", String(200), nullable=False),
        Column("at", DateTime(timezone=True), server_default=func.now()),
    )
    return Schema(metadata, effects)


def recording_handler(schema: Schema, *, poison_marker: str = "POISON") -> Handler:
    """Return a handler that records each event as an effect row; poison names are rejected."""

    async def handle(delivery: Delivery, uow: UnitOfWork) -> None:
        name = str(delivery.envelope.data.get("name", ""))
        if poison_marker in name:
            raise PermanentError(f"cannot apply {name!r}")
        await uow.session.execute(
            schema.effects.insert().values(
                event_id=str(delivery.envelope.id), subject=delivery.envelope.subject, name=name
            )
        )

    return handle


async def effect_rows(engine: AsyncEngine, schema: Schema) -> list[tuple[str, str, str]]:
    """Return (event_id, subject, name) of every effect in insertion order."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(
                schema.effects.c.event_id, schema.effects.c.subject, schema.effects.c.name
            ).order_by(schema.effects.c.seq)
        )
        return [(r[0], r[1], r[2]) for r in rows]


def settings_for(database_url: str, topic_prefix: str, **overrides: object) -> ServiceSettings:
    """Settings of a test service on the real broker and a fresh database."""
    values: dict[str, object] = {
        "database_url": database_url,
        "kafka_bootstrap_servers": bootstrap_servers(),
        "kafka_topic_prefix": topic_prefix,
        "kafka_topic_partitions": 3,
        "relay_poll_seconds": 0.2,
        "consumer_retry_backoff_seconds": 0.05,
        "consumer_retry_backoff_max_seconds": 0.2,
        "consumer_retry_attempts": 3,
        "jwt_secret": "kit-tests-hs256-secret-of-32-bytes-long",
    }
    values.update(overrides)
    return ServiceSettings.for_service("kittest", **values)


async def start_runtime(
    settings: ServiceSettings,
    schema: Schema,
    subscriptions: list[Subscription],
    *,
    relay: bool = True,
    consumers: bool = True,
) -> ServiceRuntime:
    """Build, migrate and start a runtime; wait until its consumers own partitions."""
    runtime = build_runtime(settings, metadata=schema.metadata, subscriptions=subscriptions)
    await create_all(runtime.engine, schema.metadata)
    await runtime.start(relay=relay, consumers=consumers)
    return runtime


def township_code(label: str) -> str:
    """Map a test's aggregate label to a township code: `agg-3` -> 990101003."""
    digits = re.search(r"(\d+)$", label)
    number = int(digits.group(1)) if digits else zlib.crc32(label.encode())
    return f"990101{number % 1000:03d}"


def event(label: str, name: str) -> Envelope[Any]:
    """Return a valid `deputies.township.registered` event; its aggregate (key) comes from label."""
    code = township_code(label)
    data = TownshipRegistered(township=code, county="990101", name=name, kind="town")
    return new_envelope(data, source="/services/kittest", correlationid=f"corr-{label}")
