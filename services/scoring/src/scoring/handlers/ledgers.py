"""Write facts into the ledgers: one ledger per active rule set of the fact's county.

Every ledger of the county is fed every fact (a correction moved into another year is reversed
in the old year's ledger and earned in the new one's). The derivation state a fact needs is
restored from the rows it touches: the entries of its subject and of the deputies it names, the
activity versions applied and the suggestion's signatories.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from contracts.envelope import Envelope
from kit.events import event
from kit.uow import UnitOfWork
from scoring.adapters.store import Ledger, RuleSetRow, Store
from scoring.domain import facts as f
from scoring.domain.entries import Entry
from scoring.domain.ledger import Ledger as Derivation, LedgerState
from scoring.events import points_recorded
from scoring.handlers.context import Services

SOURCE = "/services/scoring"


def subject_of(fact: f.Fact) -> str | None:
    """Return the ledger subject a fact is about (an activity or a case), if any."""
    if isinstance(fact, f.ActivityHeld | f.ActivityCancelled):
        return f"activity:{fact.activity_id}"
    if isinstance(fact, f.SuggestionFiled | f.CaseReplied | f.KeyChaseDesignated | f.FeedbackGiven):
        return f"case:{fact.case_id}"
    return None


def named_deputies(fact: f.Fact) -> set[str]:
    """Return the deputies a fact names itself (those that must be on the roster first)."""
    if isinstance(fact, f.ActivityHeld):
        return {deputy_id for deputy_id, _ in fact.attendance}
    if isinstance(fact, f.SuggestionFiled):
        return {fact.lead, *fact.co_signers}
    if isinstance(fact, f.FeedbackGiven):
        return {fact.deputy_id}
    return set()


def deed_day(fact: f.Fact) -> date | None:
    """Return the day of the deed a fact can earn points for, if it can."""
    if isinstance(fact, f.ActivityHeld):
        return fact.held_on
    if isinstance(fact, f.SuggestionFiled):
        return fact.filed_on
    if isinstance(fact, f.CaseReplied):
        return fact.replied_on
    if isinstance(fact, f.KeyChaseDesignated):
        return fact.designated_on
    if isinstance(fact, f.FeedbackGiven):
        return fact.given_on
    return None


def stage_entries(
    svc: Services, uow: UnitOfWork, entries: Sequence[Entry], cause: Envelope[Any] | None
) -> None:
    """Stage one ``scoring.points.recorded`` event per new entry (outbox, same transaction)."""
    for entry in entries:
        uow.stage(event(points_recorded(entry), source=SOURCE, cause=cause))
        svc.metrics.entries.labels(entry.category.value).inc()
        if entry.points > 0:
            svc.metrics.awarded.labels(entry.township).inc(float(entry.points))


async def apply_to_ledgers(
    svc: Services,
    uow: UnitOfWork,
    store: Store,
    fact: f.Fact,
    county: str,
    active: Sequence[RuleSetRow],
    cause: Envelope[Any],
) -> int:
    """Apply a fact to every active ledger of its county; return the entries written."""
    subject = subject_of(fact)
    subjects = {subject} if subject else set()
    versions = await store.versions(subjects)
    case_ids = {s.removeprefix("case:") for s in subjects if s.startswith("case:")}
    signers = await store.signers(case_ids)
    deputies = named_deputies(fact) | {d for lead, co in signers.values() for d in (lead, *co)}
    activity = getattr(fact, "activity_id", None)
    hours = await store.hours({activity}) if isinstance(activity, str) else {}
    durations = dict(hours)
    written = 0
    moved = dict(versions)
    for row in active:
        ledger = Ledger(county, row.year, row.version)
        known = await store.entries_about(ledger, subjects, deputies)
        state = LedgerState.restore(
            known, seen=set(), versions=versions, signers=signers, hours=hours
        )
        new = Derivation(svc.rules(row), state).apply(fact)
        await store.add_entries(ledger, new, svc.now())
        stage_entries(svc, uow, new, cause)
        written += len(new)
        for key, version in state.versions.items():
            moved[key] = max(version, moved.get(key, 0))
        durations.update(state.hours)
    if isinstance(fact, f.ActivityHeld | f.ActivityCancelled) and subject is not None:
        moved[subject] = max(fact.version, moved.get(subject, 0))
    await store.put_versions(moved, versions)
    await store.put_hours(durations, hours)
    if isinstance(fact, f.SuggestionFiled):
        await store.put_signers(fact.case_id, fact.lead, fact.co_signers)
    return written
