"""Consume ``deputies.events`` and ``cases.events`` into the roster, the facts and the ledgers.

The runner gives inbox-by-event-id and one transaction per fetch; this parks an event about a
township or deputy not on the roster yet (never dropped, never dead-lettered) and applies it in
the transaction of the roster event that makes it whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts import topics
from contracts.envelope import RawEnvelope
from kit.runner import Delivery, Handler, Subscription
from kit.uow import UnitOfWork
from scoring.domain import facts as f
from scoring.domain.translate import CUTTERS, fact_of
from scoring.handlers.context import Services
from scoring.handlers.ledgers import apply_to_ledgers, deed_day, named_deputies
from scoring.handlers.rulesets import ensure_year

GROUP = "scoring.ledger"


async def _release(svc: Services, uow: UnitOfWork, key: str) -> None:
    for doc in await svc.store(uow).release(key):
        await apply_event(svc, uow, RawEnvelope.model_validate(doc))


async def _roster(svc: Services, uow: UnitOfWork, fact: f.Fact, envelope: RawEnvelope) -> bool:
    """Apply a roster fact; return False when it must wait for its township."""
    store = svc.store(uow)
    if isinstance(fact, f.TownshipKnown):
        await store.put_township(fact.township, fact.county, fact.kind.value)
        await store.keep_fact(envelope, fact.county, svc.now())
        await _release(svc, uow, f"township:{fact.township}")
        return True
    assert isinstance(fact, f.DeputyOnRoster)
    county = await store.county_of(fact.township)
    if county is None:
        return False
    values: dict[str, Any] = {
        "deputy_id": fact.deputy_id,
        "township": fact.township,
        "status": fact.status.value,
        "levels": sorted(level.value for level in fact.levels),
        "version": fact.version,
    }
    await store.put_deputy(values)
    await store.keep_fact(envelope, county, svc.now())
    await _release(svc, uow, f"deputy:{fact.deputy_id}")
    return True


async def apply_event(svc: Services, uow: UnitOfWork, envelope: RawEnvelope) -> bool:
    """Apply one event scoring reads; return whether it parked or could release parked events."""
    fact = fact_of(envelope)
    if fact is None:
        svc.metrics.not_covered.labels(envelope.type).inc()
        return False
    store = svc.store(uow)
    if isinstance(fact, f.TownshipKnown | f.DeputyOnRoster):
        if not await _roster(svc, uow, fact, envelope):
            await store.park(envelope, [f"township:{fact.township}"], svc.now())
        return True
    county = await store.county_of(fact.township)
    waits = [] if county is not None else [f"township:{fact.township}"]
    named = named_deputies(fact)
    waits += [f"deputy:{d}" for d in sorted(named - await store.known_deputies(named))]
    if county is None or waits:
        await store.park(envelope, waits, svc.now())
        return True
    await store.lock_county(county)
    rule_sets = await store.rule_sets(county)
    day = deed_day(fact)
    if day is not None and day.year >= 2000 and all(r.year != day.year for r in rule_sets):
        await ensure_year(svc, uow, county, day.year, envelope)
        rule_sets = await store.rule_sets(county)
    await store.keep_fact(envelope, county, svc.now())
    active = [r for r in rule_sets if r.status == "active"]
    written = await apply_to_ledgers(svc, uow, store, fact, county, active, envelope)
    if not written:
        svc.metrics.not_covered.labels(envelope.type).inc()
    return False


def subscription(context: Callable[[], Services]) -> Subscription:
    """Return the consumer of every deputies and cases event type scoring reads.

    ``context`` gives the handlers' services once wired (the runtime is built with this first).
    """

    async def handle(delivery: Delivery, uow: UnitOfWork) -> None:
        svc = context()
        if await apply_event(svc, uow, delivery.envelope):
            svc.metrics.parked.set(await svc.store(uow).parked_count())

    handlers: dict[str, Handler] = {model.EVENT_TYPE: handle for model in CUTTERS}
    return Subscription(group=GROUP, topics=(topics.DEPUTIES, topics.CASES), handlers=handlers)
