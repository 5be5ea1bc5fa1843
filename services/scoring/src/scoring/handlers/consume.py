"""Consume ``deputies.events`` and ``cases.events`` into the roster, the facts and the ledgers.

The runner gives inbox-by-event-id and one transaction per fetch, and hands this one handler
every new event of the fetch in order (``runs_across_types``); a failing call is retried by the
runner one event at a time through the same handler. A batch is loaded once, applied in memory
(``Intake``: the steps of one event at a time, in order) and written with a statement per table.
An event about a township or deputy not on the roster yet is parked (never dropped, never
dead-lettered) and applied right after the roster event that makes it whole, same batch or later.
A deed in a year its county has no rules for adopts the seed first; the batch is then read again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from contracts import topics
from contracts.envelope import RawEnvelope
from kit.runner import BatchHandler, Delivery, Subscription
from kit.uow import UnitOfWork
from scoring.adapters.store import BatchStore
from scoring.domain.intake import Intake
from scoring.domain.translate import CUTTERS, fact_of
from scoring.handlers.context import Services
from scoring.handlers.ledgers import load, write
from scoring.handlers.rulesets import ensure_year
from scoring.handlers.totals import advance_totals

GROUP = "scoring.ledger"


async def apply_events(
    svc: Services,
    uow: UnitOfWork,
    envelopes: Sequence[RawEnvelope],
    parsed: Sequence[Any] | None = None,
) -> None:
    """Apply events in order in the unit of work, as each in its own transaction would.

    ``parsed``: the payloads the runner validated already, one per envelope (not validated again).
    """
    await uow.flush()  # rows an earlier call queued are read by this one (nothing queued: no-op)
    store = BatchStore(uow.session, svc.tables)
    payloads = parsed if parsed is not None else [None] * len(envelopes)
    facts = [fact_of(e, p) for e, p in zip(envelopes, payloads, strict=True)]
    loaded = await load(svc, store, facts)
    intake = Intake(loaded.snapshot, dry=True)
    for envelope, fact in zip(envelopes, facts, strict=True):
        intake.apply(envelope, fact)
    if intake.years:
        for need in intake.years:
            await ensure_year(svc, uow, need.county, need.year, need.cause)
            uow.after_commit(svc.metrics.years_adopted.inc)
        loaded = await load(svc, store, facts, again=True)
        intake = Intake(loaded.snapshot)
        for envelope, fact in zip(envelopes, facts, strict=True):
            intake.apply(envelope, fact)
    await write(svc, uow, store, intake)
    await advance_totals(svc, uow, store, intake.written, loaded.rules, loaded.totals)
    # the metrics move once the batch commits (a batch tried again is not counted twice)
    uow.after_commit(lambda: svc.metrics.batch_events.observe(len(envelopes)))
    if intake.parking_moved:
        if loaded.parked is None:
            await uow.flush()  # the parked rows queued by ``write`` are counted
            now = await store.parked_count()
        else:  # counted before the batch, moved by it
            now = loaded.parked - len(intake.unparked) + len(intake.still_parked())
        uow.after_commit(lambda: svc.metrics.parked.set(now))


async def apply_event(svc: Services, uow: UnitOfWork, envelope: RawEnvelope) -> None:
    """Apply one event (a batch of one)."""
    await apply_events(svc, uow, [envelope])


def subscription(context: Callable[[], Services]) -> Subscription:
    """Return the consumer of every deputies and cases event type scoring reads.

    ``context`` gives the handlers' services once wired (the runtime is built with this first).
    """

    async def handle(deliveries: Sequence[Delivery], uow: UnitOfWork) -> None:
        await apply_events(
            context(), uow, [d.envelope for d in deliveries], [d.data for d in deliveries]
        )

    handlers: dict[str, BatchHandler] = {model.EVENT_TYPE: handle for model in CUTTERS}
    return Subscription(
        group=GROUP,
        topics=(topics.DEPUTIES, topics.CASES),
        batch_handlers=handlers,
        runs_across_types=True,
    )
