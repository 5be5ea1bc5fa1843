"""Transactional outbox: events are written in the same transaction as the state they describe."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import topics
from contracts.envelope import Envelope


def notify_channel(service: str) -> str:
    """Return the PostgreSQL NOTIFY channel on which a service's relay is woken."""
    return f"outbox_{service}"


class Outbox:
    """Writes envelopes as outbox rows and wakes the relay after commit."""

    def __init__(self, *, table: Table, service: str, topic_prefix: str = "") -> None:
        self.table = table
        self.service = service
        self.topic_prefix = topic_prefix
        self.channel = notify_channel(service)
        self.wakeup = asyncio.Event()

    def row(self, envelope: Envelope[Any]) -> dict[str, Any]:
        """Turn an envelope into an outbox row: topic by type, key by aggregate id."""
        return {
            "event_id": str(envelope.id),
            "event_type": envelope.type,
            "topic": self.topic_prefix + topics.for_event_type(envelope.type),
            "key": envelope.subject,
            "headers": envelope.headers(),
            "payload": envelope.model_dump_json(),
            "created_at": envelope.time,
        }

    async def write(self, session: AsyncSession, envelopes: Sequence[Envelope[Any]]) -> None:
        """Insert the rows inside the caller's transaction; PostgreSQL notifies at commit."""
        if not envelopes:
            return
        await session.execute(insert(self.table), [self.row(e) for e in envelopes])
        if session.bind.dialect.name == "postgresql":
            await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": self.channel})

    def committed(self) -> None:
        """Wake a relay in this process: new rows are visible."""
        self.wakeup.set()
