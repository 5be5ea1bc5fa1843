"""Scheduled jobs: the sender's turn, the daily digest, the backlog gauges.

The digest job gathers the digest items whose digest instant has come, per recipient, channel
and China day, and turns each group into one delivery keyed by ``digest_event_id(recipient,
day)``: the unique delivery key makes a second instance or a restart insert nothing twice, and
the items are marked ``included`` in the same transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from contracts.vocabulary import RecipientKind
from kit.scheduler import Lease
from notify.domain.attempts import Status
from notify.domain.digest import DigestItem, group
from notify.domain.model import Channel, DeliveryKey, RecipientRef, digest_event_id
from notify.handlers.context import Services
from notify.handlers.sending import measure_backlog, send_due
from notify.templates.render import RenderError

log = logging.getLogger(__name__)

DIGEST_TEMPLATE = "_digest"
DIGEST_EVENT_TYPE = "notify.digest"


async def sender(
    svc: Services, stop: asyncio.Event, window: float, poll: float, lease: Lease | None = None
) -> int:
    """A turn of the sender while this instance holds the job's lease (renewed every ``window``).

    With ``lease`` (the job's own, the same name and holder as the scheduler's) the turn renews it
    and goes on: no pause of the job's interval between turns, in which nothing would be sent.
    """
    return await send_due(
        svc, stop, window=window, poll=poll, renew=lease.acquire if lease is not None else None
    )


async def backlog(svc: Services) -> None:
    """Refresh the backlog gauges."""
    await measure_backlog(svc)


def _item(row: Any) -> DigestItem:
    return DigestItem(
        UUID(row.event_id),
        row.event_type,
        row.subject,
        row.subject,
        row.title,
        row.event_time,
        row.urgent,
    )


async def digest(svc: Services, limit: int = 5000) -> int:
    """Send every digest whose time has come once; return how many digest deliveries were made."""
    now = svc.now()
    made = 0
    async with svc.uow() as uow:
        store = svc.store(uow)
        rows = await store.due_digest_items(now, limit)
        if not rows:
            return 0
        groups: dict[tuple[str, str, str, date], list[Any]] = {}
        for row in rows:
            key = (row.recipient_kind, row.recipient_id, row.channel, row.digest_day)
            groups.setdefault(key, []).append(row)
        directory = await store.directory()
        for (kind, rid, channel, day), items in groups.items():
            ref = RecipientRef(RecipientKind(kind), rid)
            made += await _one(svc, store, ref, Channel(channel), day, items, directory, now)
        await uow.commit()
    return made


async def _one(
    svc: Services,
    store: Any,
    ref: RecipientRef,
    channel: Channel,
    day: date,
    items: Sequence[Any],
    directory: Any,
    now: Any,
) -> int:
    event_id = digest_event_id(ref, day)
    key = DeliveryKey(event_id, ref, channel)
    person = directory.deputy(ref.id) if ref.kind is RecipientKind.deputy else None
    name = person.name if person is not None else ref.id
    first = items[0]
    row: dict[str, Any] = {
        "delivery_id": key.delivery_id(),
        "event_id": str(event_id),
        "recipient_kind": ref.kind.value,
        "recipient_id": ref.id,
        "channel": channel.value,
        "township": first.township,
        "event_type": DIGEST_EVENT_TYPE,
        "event_time": now,
        "subject": f"digest:{day.isoformat()}",
        "template": DIGEST_TEMPLATE,
        "urgent": False,
        "held": False,
        "digest_day": day,
        "attempts": 0,
        "created_at": now,
    }
    try:
        rendered = svc.renderer.render_digest(
            channel, group(_item(i) for i in items), day=day, recipient_name=name
        )
    except RenderError as error:
        log.warning("digest does not render: %s", error)
        row.update(
            status=Status.failed.value,
            title="",
            body="",
            segments=0,
            last_error=f"template: {error}"[:500],
            error_kind="permanent",
            finished_at=now,
        )
    else:
        row.update(
            status=Status.pending.value,
            next_at=now,
            title=rendered.title,
            body=rendered.body,
            segments=rendered.segments,
        )
    inserted = await store.add_deliveries([row])
    await store.include([i.delivery_id for i in items], row["delivery_id"], now)
    return len(inserted)
