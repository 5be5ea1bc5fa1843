"""Turn consumed events into deliveries, in the consumer's transaction (inbox-guarded).

One batch takes the directory and the preferences from the copy kept between batches (read again
when their version moved) and the reminder state once, runs the pure ``take_in`` per event,
renders each delivery (the text is stored, the address never is) and inserts the rows of a run
with one statement, keyed by delivery: a redelivered event inserts nothing twice. What cannot be
delivered (no usable address, a template that does not render, a recipient nobody can reach) is
stored as a failed delivery with its cause, and ``notify.notification.failed`` is staged. When
some deliveries are due at once, this process's sender is woken at the commit.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from contracts.vocabulary import FailureKind, RecipientKind
from kit.runner import Delivery
from kit.uow import UnitOfWork
from notify import events
from notify.adapters.directory import PROJECTED
from notify.domain.attempts import Status
from notify.domain.directory import MemoryDirectory
from notify.domain.intake import take_in
from notify.domain.model import Channel, RecipientRef
from notify.domain.preferences import Planned, Preferences
from notify.domain.routing import Event, RoutingTable, Unresolved, concerns, reads_projection
from notify.handlers.context import Services
from notify.handlers.directory import batch_directory, batch_snapshot, project, stage_in_app
from notify.handlers.sending import wake_after_commit, wake_other_process
from notify.templates.render import Rendered, RenderError, context

log = logging.getLogger(__name__)

DEFAULT_PREFERENCES = Preferences()
NO_CHANNEL = "none"
YIELD_EVERY = 5
"""Events taken in between two yields to the event loop (a batch is hundreds of renders): the
sender's SMTP replies are read and its next sends started meanwhile (25 events was 25–50 ms of a
loaded machine in which the pool's connections stood idle)."""
ANNOUNCED = frozenset(c.value for c in Channel if c.contract() is not None)
"""The channels whose deliveries the contract's events name (not the ``none`` of nobody)."""
_UNRESOLVED = UUID("3a7c0d9e-51b2-5f4a-8e6d-2c1b0a9f8e7d")


def _event(delivery: Delivery) -> Event:
    env = delivery.envelope
    return Event(env.id, env.type, env.time, delivery.data)  # type: ignore[arg-type]


def _reaches(delivery: Delivery, table: RoutingTable) -> bool:
    """Tell whether a route applies to a consumed event (a look at the table, no reads)."""
    return concerns(delivery.envelope.type, delivery.data, table)  # type: ignore[arg-type]


def _row(
    event: Event, ref: RecipientRef, channel: str, template: str, now: datetime
) -> dict[str, Any]:
    return {
        "event_id": str(event.id),
        "recipient_kind": ref.kind.value,
        "recipient_id": ref.id,
        "channel": channel,
        "township": event.data.event_township(),
        "event_type": event.type,
        "event_time": event.time,
        "subject": event.data.event_subject()[:64],
        "template": template,
        "urgent": False,
        "held": False,
        "digest_day": None,
        "title": "",
        "body": "",
        "segments": 0,
        "attempts": 0,
        "created_at": now,
        # every row of a batch names the same columns: one executemany takes failed and pending
        "error_kind": None,
        "last_error": None,
        "finished_at": None,
    }


def _failed(row: dict[str, Any], reason: str, now: datetime) -> dict[str, Any]:
    return {
        **row,
        "status": Status.failed.value,
        "attempts": 1,
        "error_kind": FailureKind.permanent.value,
        "last_error": reason[:500],
        "next_at": None,
        "finished_at": now,
    }


class _Batch:
    """What one run of events comes to: delivery rows, inbox items, failures to announce."""

    def __init__(
        self,
        svc: Services,
        now: datetime,
        townships: Mapping[str, str],
        directory: MemoryDirectory,
    ) -> None:
        self.svc = svc
        self.now = now
        self.townships = townships
        self.directory = directory
        self.rows: list[dict[str, Any]] = []
        self.inbox: list[dict[str, Any]] = []
        self.in_app: list[dict[str, Any]] = []
        self._rendered: dict[tuple[UUID, RecipientRef, str, Channel], Rendered] = {}

    def render(self, planned: Planned) -> Rendered:
        """Render a delivery; e-mail and in-app share one text (rendered once for both)."""
        notice = planned.notice
        same = Channel.email if planned.channel is Channel.in_app else planned.channel
        key = (notice.event.id, notice.recipient.ref, notice.template, same)
        done = self._rendered.get(key)
        if done is None:
            done = self._rendered[key] = self._render(planned, same)
        return done if done.channel is planned.channel else replace(done, channel=planned.channel)

    def _render(self, planned: Planned, channel: Channel) -> Rendered:
        notice = planned.notice
        data = notice.event.data
        ctx = context(
            data,
            event_type=notice.event.type,
            recipient_name=notice.recipient.name,
            township_name=self.townships.get(data.event_township()),
            subject_title=self.directory.title(data.event_subject()),
        )
        return self.svc.renderer.render(notice.template, channel, ctx)

    def add(self, planned: Planned) -> None:
        notice = planned.notice
        event = notice.event
        ref = notice.recipient.ref
        row = _row(event, ref, planned.channel.value, notice.template, self.now)
        row["delivery_id"] = planned.key.delivery_id()
        row["urgent"] = notice.urgent
        try:
            rendered = self.render(planned)
        except RenderError as error:
            log.warning("template %s does not render: %s", notice.template, error)
            self.rows.append(_failed(row, f"template: {error}", self.now))
            return
        if planned.channel is Channel.in_app:
            self.inbox.append(
                {
                    "item_id": row["delivery_id"],
                    "recipient_kind": ref.kind.value,
                    "recipient_id": ref.id,
                    "township": row["township"],
                    "event_id": row["event_id"],
                    "event_type": event.type,
                    "subject": row["subject"],
                    "title": rendered.title,
                    "body": rendered.body,
                    "created_at": self.now,
                }
            )
            self.in_app.append(row)
            return
        row.update(title=rendered.title, body=rendered.body, segments=rendered.segments)
        if planned.problem is not None:
            self.rows.append(_failed(row, planned.problem, self.now))
            return
        status = Status.digested if planned.digest_day is not None else Status.pending
        row.update(
            status=status.value,
            next_at=planned.send_at,
            digest_day=planned.digest_day,
            held=planned.held,
        )
        self.rows.append(row)

    def unresolved(self, missing: Unresolved) -> None:
        ref = missing.recipient or RecipientRef(
            RecipientKind.staff, f"nobody: {missing.reason}"[:64]
        )
        row = _row(missing.event, ref, NO_CHANNEL, missing.template, self.now)
        # one row per (event, recipient, channel) as for the others: the primary key holds it
        key = json.dumps([str(missing.event.id), ref.kind.value, ref.id, NO_CHANNEL])
        row["delivery_id"] = str(uuid5(_UNRESOLVED, key))
        self.rows.append(_failed(row, missing.reason, self.now))


def _observer(svc: Services, now: datetime, due: Sequence[Mapping[str, Any]]) -> Callable[[], None]:
    """Return what observes the due deliveries' first stages once the intake has committed."""

    def committed() -> None:
        metrics = svc.metrics
        if metrics is None:
            return
        taken_in, done = (
            metrics.stages.labels(stage="taken_in"),
            metrics.stages.labels(stage="committed"),
        )
        took = max((svc.now() - now).total_seconds(), 0.0)
        for row in due:
            taken_in.observe(max((now - row["event_time"]).total_seconds(), 0.0))
            done.observe(took)

    return committed


def _segments(deliveries: Sequence[Delivery], table: RoutingTable) -> Iterator[list[Delivery]]:
    """Split a run where an event the case projection reads follows one routed by the projection.

    Each event is then routed on the projection as the events before it left it (a lead unit
    returned later in the same fetch does not hide the unit from an earlier chase), as one event
    at a time would; a run seldom splits (a fetch rarely holds both for one case).
    """
    segment: list[Delivery] = []
    reads = False
    for delivery in deliveries:
        if reads and delivery.envelope.type in PROJECTED:
            yield segment
            segment, reads = [], False
        segment.append(delivery)
        reads = reads or reads_projection(delivery.envelope.type, table)
    if segment:
        yield segment


async def take_batch(svc: Services, deliveries: Sequence[Delivery], uow: UnitOfWork) -> None:
    """Decide and store the deliveries of a run of events (one transaction, the runner's).

    An event no route applies to (its type is routed, its conditions are not met) costs a look
    at the routing table: when a run has only such events, nothing is read (the case projection
    is still written). Otherwise the directory comes from the copy kept between batches (one
    statement checks its version), and the rows of the whole run go in one statement each.
    """
    table = svc.routes
    if not any(_reaches(d, table) for d in deliveries):
        await project(svc, uow, [d.data for d in deliveries])
        return
    store = svc.store(uow)
    now = svc.now()
    snapshot = await batch_snapshot(svc, uow)
    preferences = snapshot.preferences
    batch = _Batch(svc, now, snapshot.townships, snapshot.directory)
    keys = [
        f"{route.template}:{d.data.event_subject()}"  # type: ignore[attr-defined]
        for d in deliveries
        for route in table.get(d.envelope.type, ())
        if route.throttle
    ]
    state = {k: (r.last_at, r.sent) for k, r in (await store.reminders(keys)).items()}
    taken = 0
    for segment in _segments(deliveries, table):
        directory = await batch_directory(svc, uow, [d.data for d in segment], snapshot.directory)
        batch.directory = directory
        for delivery in segment:
            if not _reaches(delivery, table):
                continue
            taken += 1
            if taken % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # let this process's sender read its SMTP replies meanwhile
            event = _event(delivery)
            intake = take_in(
                event,
                table=table,
                directory=directory,
                preferences=lambda ref: preferences.get(ref, DEFAULT_PREFERENCES),
                throttle_state=lambda ref, key: state.get((ref, key), (None, 0)),
                now=now,
                hours=svc.hours,
                throttle=svc.throttle,
            )
            reminded: set[tuple[RecipientRef, str]] = set()
            for planned in intake.deliveries:
                key = planned.notice.throttle_key
                if key is not None and (planned.notice.recipient.ref, key) not in reminded:
                    ref = planned.notice.recipient.ref
                    reminded.add((ref, key))
                    _, sent = state.get((ref, key), (None, 0))
                    state[(ref, key)] = (now, sent + 1)
                    await store.remind(ref, key, now)
                batch.add(planned)
            for missing in intake.unresolved:
                batch.unresolved(missing)
    inserted = await store.add_deliveries(batch.rows)
    await store.add_inbox_items(batch.inbox)
    stage_in_app(svc, uow, batch.in_app, now)
    due = [
        r
        for r in batch.rows
        if r["status"] == Status.pending.value
        and r["next_at"] <= now
        and r["delivery_id"] in inserted
    ]
    if due:
        wake_after_commit(svc, uow, _observer(svc, now, due))  # the sender need not poll
        if svc.wake_elsewhere:
            await wake_other_process(uow)
    made = events.Rows(uow.outbox)
    for row in batch.rows:
        if row["delivery_id"] in inserted and row["status"] == Status.failed.value:
            if row["channel"] in ANNOUNCED:
                failed = made.failed(row, 1, FailureKind.permanent, row["last_error"], now)
                uow.stage_rows([failed])
            if svc.metrics is not None:
                svc.metrics.deliveries.labels(channel=row["channel"], result="failed").inc()
