"""Transactional outbox: events are written in the same transaction as the state they describe."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import orjson
from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import envelope as ce, topics
from contracts.catalog import spec_for
from contracts.common import EventData
from contracts.envelope import Envelope, utcnow


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

    def row_of(
        self,
        model: type[EventData],
        data: Mapping[str, Any],
        *,
        source: str,
        correlationid: str,
        causationid: str | None = None,
        traceparent: str | None = None,
        id: UUID | None = None,
        time: datetime | None = None,
    ) -> dict[str, Any]:
        """Return the outbox row of an event whose payload the service built itself, unvalidated.

        The hot path of a consumer staging thousands of events: no pydantic model is built. The
        row is ``row(envelope)`` of the same event (a test per caller compares them byte for
        byte): ``data`` holds the payload's fields in declaration order, each of its declared
        type (str, int, float, date, UUID, enum, tuple of mappings); ``orjson`` writes it.
        """
        spec = spec_for(model.EVENT_TYPE, model.VERSION)
        event_id = id or uuid4()
        at = time or utcnow()
        subject, township = str(data[model.SUBJECT]), str(data[model.SCOPE])
        envelope = {
            "specversion": "1.0",
            "id": event_id,
            "type": spec.event_type,
            "source": source,
            "subject": subject,
            "time": at,
            "datacontenttype": "application/json",
            "dataschema": spec.dataschema,
            "township": township,
            "correlationid": correlationid,
            "causationid": causationid,
            "traceparent": traceparent,
            "data": data,
        }
        key = str(event_id)
        headers = {
            ce.HEADER_ID: key,
            ce.HEADER_TYPE: spec.event_type,
            ce.HEADER_SOURCE: source,
            ce.HEADER_SUBJECT: subject,
            ce.HEADER_TIME: at.isoformat(),
            ce.HEADER_TOWNSHIP: township,
            ce.HEADER_CORRELATION: correlationid,
            ce.HEADER_CONTENT_TYPE: ce.CONTENT_TYPE,
        }
        if causationid:
            headers[ce.HEADER_CAUSATION] = causationid
        if traceparent:
            headers[ce.HEADER_TRACEPARENT] = traceparent
        return {
            "event_id": key,
            "event_type": spec.event_type,
            "topic": self.topic_prefix + topics.for_event_type(spec.event_type),
            "key": subject,
            "headers": headers,
            "payload": orjson.dumps(envelope, option=orjson.OPT_UTC_Z).decode(),
            "created_at": at,
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
