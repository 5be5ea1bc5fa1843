"""One delivery row per (event, recipient, channel), held by the primary key alone.

Migration 0006 dropped the unique key ``(event_id, recipient_kind, recipient_id, channel)``: every
status change wrote an entry into it, and the primary key already holds it, since ``delivery_id``
is the UUIDv5 of that key. Here a key inserted twice (a redelivered event past its inbox, a second
intake) stays one row, on the migrated PostgreSQL schema, and so does a recipient nobody can
reach that two routes of one event name.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast
from uuid import uuid4

import pytest
from sqlalchemy import func, select

from contracts.catalog import model_for
from contracts.vocabulary import RecipientKind
from kit.db import make_engine, make_sessionmaker
from kit.migrate import upgrade
from notify.adapters.store import NotifyStore
from notify.adapters.tables import make_schema
from notify.bootstrap import MIGRATIONS
from notify.domain.model import Channel, DeliveryKey, RecipientRef
from notify.domain.routing import Event, Unresolved
from notify.handlers.intake import _Batch
from notify.templates.samples import TYPICAL

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _row(key: DeliveryKey, title: str) -> dict[str, Any]:
    return {
        "delivery_id": key.delivery_id(),
        "event_id": str(key.event_id),
        "recipient_kind": key.recipient.kind.value,
        "recipient_id": key.recipient.id,
        "channel": key.channel.value,
        "township": "330102001",
        "event_type": "cases.case.assigned",
        "event_time": NOW,
        "subject": "C-2025-000001",
        "template": "cases.case.assigned",
        "status": "pending",
        "urgent": False,
        "held": False,
        "next_at": NOW,
        "digest_day": None,
        "title": title,
        "body": "正文",
        "segments": 0,
        "attempts": 0,
        "error_kind": None,
        "last_error": None,
        "created_at": NOW,
        "finished_at": None,
    }


async def test_a_delivery_key_inserted_twice_is_one_row(database_url: str) -> None:
    await upgrade(MIGRATIONS, database_url)
    engine = make_engine(database_url)
    tables = make_schema().tables
    event = uuid4()
    unit = RecipientRef(RecipientKind.handling_unit, "U-1")
    email, inbox = (DeliveryKey(event, unit, c) for c in (Channel.email, Channel.in_app))
    model = model_for("cases.case.assigned")
    assert model is not None
    data = model.model_validate(TYPICAL["cases.case.assigned"])
    batch = _Batch(cast(Any, None), NOW, {}, cast(Any, None))
    for template in ("cases.case.assigned", "cases.case.assigned.copy"):  # two routes, one nobody
        ev = Event(event, "cases.case.assigned", NOW, data)
        batch.unresolved(Unresolved(ev, template, None, "no township_staff for 330102001"))
    try:
        async with make_sessionmaker(engine)() as session:
            store = NotifyStore(session, tables)
            first = await store.add_deliveries([_row(email, "一"), _row(inbox, "一")])
            again = await store.add_deliveries([_row(email, "二")])
            nobody = await store.add_deliveries(batch.rows)
            await session.commit()
        async with make_sessionmaker(engine)() as session:
            d = tables.deliveries
            rows = (
                await session.execute(
                    select(d.c.channel, func.count(), func.min(d.c.title))
                    .where(d.c.event_id == str(event))
                    .group_by(d.c.channel)
                )
            ).all()
    finally:
        await engine.dispose()
    assert first == {email.delivery_id(), inbox.delivery_id()}
    assert again == set()  # the second insert of the key is skipped, the first row kept
    assert len(nobody) == 1
    assert sorted(tuple(r) for r in rows) == [
        ("email", 1, "一"),
        ("in_app", 1, "一"),
        ("none", 1, ""),
    ]
