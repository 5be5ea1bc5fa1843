"""Every subscription of notify in one place: a handler per event type.

One consumer group reads the deputies, cases and scoring topics: the directory's projection
(townships, deputies and their mandates) and the routed events, in each partition's order, so a
deputy registered before an event naming them is known when the event is routed. The routed types
share one batch handler and runs go across types: a fetch of mixed cases and scoring events is one
call of the intake (one read of the directory's version, one insert of its rows), broken only by a
directory event (its own handler, applied in order).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from contracts import deputies as dev, topics
from contracts.vocabulary import DeputyStatus, RecipientKind
from kit.runner import BatchHandler, Delivery, Handler, Subscription
from kit.uow import UnitOfWork
from notify.adapters.directory import PROJECTED
from notify.domain.model import Channel, RecipientRef
from notify.domain.routing import RoutingTable
from notify.handlers.context import Services
from notify.handlers.intake import take_batch

GROUP = "notify.intake"
TOPICS = (topics.DEPUTIES, topics.CASES, topics.SCORING)
ENDED = frozenset({DeputyStatus.terminated.value})
ROSTER_PHONE = "phone"
"""The roster field whose change supersedes a deputy's SMS address in the directory."""


def _handlers(ctx: Callable[[], Services]) -> dict[str, Handler]:
    async def township(delivery: Delivery, uow: UnitOfWork) -> None:
        data = delivery.data
        assert isinstance(data, dev.TownshipRegistered)
        await ctx().store(uow).upsert_township(data.township, data.county, data.name)

    async def deputy(delivery: Delivery, uow: UnitOfWork) -> None:
        data = delivery.data
        assert isinstance(data, dev.DeputyProfile)
        svc = ctx()
        store = svc.store(uow)
        ref = RecipientRef(RecipientKind.deputy, data.deputy_id)
        await store.upsert_recipient(
            ref,
            name=data.name,
            township=data.township,
            active=data.status.value not in ENDED,
            version=data.aggregate_version,
        )
        # the roster names a changed phone, never the number: the old one is not used again
        phone = isinstance(data, dev.DeputyUpdated) and ROSTER_PHONE in data.changed
        marked = phone and await store.supersede_contact(ref, Channel.sms, delivery.envelope.time)
        if marked and svc.metrics is not None:
            svc.metrics.contacts_superseded.labels(channel=Channel.sms.value).inc()

    async def status(delivery: Delivery, uow: UnitOfWork) -> None:
        data = delivery.data
        assert isinstance(data, dev.DeputyStatusChanged)
        await (
            ctx()
            .store(uow)
            .set_active(
                RecipientRef(RecipientKind.deputy, data.deputy_id),
                data.to_status.value not in ENDED,
                data.aggregate_version,
            )
        )

    return {
        dev.TownshipRegistered.EVENT_TYPE: township,
        dev.DeputyRegistered.EVENT_TYPE: deputy,
        dev.DeputyUpdated.EVENT_TYPE: deputy,
        dev.DeputyStatusChanged.EVENT_TYPE: status,
    }


def _batch_handlers(ctx: Callable[[], Services], table: RoutingTable) -> dict[str, BatchHandler]:
    async def routed(deliveries: Sequence[Delivery], uow: UnitOfWork) -> None:
        await take_batch(ctx(), deliveries, uow)

    # the case projection's events go through the same step even when routed to nobody
    wanted = {event_type for event_type, routes in table.items() if routes} | PROJECTED
    return dict.fromkeys(sorted(wanted), routed)


def subscriptions(ctx: Callable[[], Services], table: RoutingTable) -> list[Subscription]:
    """Return notify's subscriptions: the directory projection and the routed events.

    ``ctx`` gives the handlers' services when an event arrives (they are wired after the runtime
    the subscriptions are given to); ``table`` says which event types are routed.
    """
    return [
        Subscription(
            group=GROUP,
            topics=TOPICS,
            handlers=_handlers(ctx),
            batch_handlers=_batch_handlers(ctx, table),
            runs_across_types=True,  # a fetch's routed events in one call, whatever their types
        )
    ]
