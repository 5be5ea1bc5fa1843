"""The deputy totals projection, kept in the transaction that changes the ledger, and its events.

The consumer advances it by each batch's new entries (``advance_totals``); a review action that
changes what a card counts (voided, rechecked) recomputes the deputy (``refresh_deputy``); a
ledger derived anew (a year's seed adopted, a rule set activated) is counted whole
(``refresh_ledger``). Each deputy whose total changed gets one ``scoring.score.changed``; a grade
that moved, one ``scoring.grade.changed`` (``previous_grade`` None for the first one).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, select

from contracts import scoring as ev
from contracts.common import EventData
from contracts.envelope import Envelope
from contracts.vocabulary import DeputyGrade
from kit import correlation
from kit.tracing import current_traceparent
from kit.uow import UnitOfWork
from scoring.adapters.store import BatchStore, Ledger, RuleSetRow, among, entry_of
from scoring.domain.entries import Entry
from scoring.domain.intake import LedgerKey, Written
from scoring.domain.reviews import Status
from scoring.domain.rules import RuleSet
from scoring.domain.totals import DeputyTotals, advance, tally
from scoring.events import grade_changed_fields, score_changed_fields
from scoring.handlers.context import Services
from scoring.handlers.ledgers import SOURCE, TotalsRead

KEYS = ("county", "year", "rule_set_version", "deputy_id")
CENT = Decimal("0.01")


def _totals_of(row: Row[Any]) -> DeputyTotals:
    return totals_from(dict(row._mapping))


def totals_from(m: Mapping[str, Any]) -> DeputyTotals:
    """Return the totals of a stored row (its columns by name)."""
    return DeputyTotals(
        deputy_id=m["deputy_id"],
        township=m["township"],
        total=Decimal(m["total"]),
        confirmed_total=Decimal(m["confirmed_total"]),
        by_category={k: Decimal(v) for k, v in m["by_category"].items()},
        minimums={k: int(v) for k, v in m["minimums"].items()},
        grade=DeputyGrade(m["grade"]),
    )


def _row(ledger: Ledger, t: DeputyTotals, svc: Services) -> dict[str, Any]:
    return {
        "county": ledger.county,
        "year": ledger.year,
        "rule_set_version": ledger.version,
        "deputy_id": t.deputy_id,
        "township": t.township,
        "total": t.total,
        "confirmed_total": t.confirmed_total,
        "by_category": {k: str(v.quantize(CENT)) for k, v in t.by_category.items()},
        "minimums": dict(t.minimums),
        "grade": t.grade.value,
        "updated_at": svc.now(),
    }


async def stored_totals(
    store: BatchStore, ledger: Ledger, deputies: Iterable[str] | None = None
) -> dict[str, DeputyTotals]:
    """Return the projection rows of a ledger (of some deputies)."""
    t = store.t.deputy_totals
    q = select(t).where(
        t.c.county == ledger.county, t.c.year == ledger.year, t.c.rule_set_version == ledger.version
    )
    if deputies is not None:
        q = q.where(among(store.session, t.c.deputy_id, deputies))
    return {r.deputy_id: _totals_of(r) for r in await store.session.execute(q)}


async def _best(store: BatchStore, ledger: Ledger) -> Decimal | None:
    t = store.t.deputy_totals
    found = await store.session.scalar(
        select(func.max(t.c.total)).where(
            t.c.county == ledger.county,
            t.c.year == ledger.year,
            t.c.rule_set_version == ledger.version,
        )
    )
    return None if found is None else Decimal(found)


def _changed(
    svc: Services,
    uow: UnitOfWork,
    ledger: Ledger,
    before: DeputyTotals | None,
    after: DeputyTotals,
    base: Decimal,
    cause: Envelope[Any] | None,
    traceparent: str | None,
) -> None:
    """Stage the events of a deputy's totals that moved (``traceparent``: the current one)."""
    if before is None or (before.total, before.confirmed_total) != (
        after.total,
        after.confirmed_total,
    ):
        previous = base if before is None else before.total
        changed = score_changed_fields(
            after, year=ledger.year, version=ledger.version, previous_total=previous
        )
        uow.stage_rows([_row_of(uow, ev.ScoreChanged, changed, cause, traceparent)])
        uow.after_commit(svc.metrics.score_changes.labels("score").inc)
    if before is None or before.grade is not after.grade:
        was = None if before is None else before.grade
        graded = grade_changed_fields(after, year=ledger.year, previous=was)
        uow.stage_rows([_row_of(uow, ev.GradeChanged, graded, cause, traceparent)])
        uow.after_commit(svc.metrics.score_changes.labels("grade").inc)


def _row_of(
    uow: UnitOfWork,
    model: type[EventData],
    fields: Mapping[str, Any],
    cause: Envelope[Any] | None,
    traceparent: str | None,
) -> dict[str, Any]:
    """Return the outbox row of an event the consumer or a review caused."""
    return uow.outbox.row_of(
        model,
        fields,
        source=SOURCE,
        correlationid=correlation.current() if cause is None else cause.correlationid,
        causationid=None if cause is None else str(cause.id),
        traceparent=traceparent,
    )


async def _save(
    svc: Services,
    store: BatchStore,
    ledger: Ledger,
    rows: Sequence[DeputyTotals],
    existing: Iterable[str],
) -> None:
    keyed = [(ledger.county, ledger.year, ledger.version, d) for d in existing]
    await store.upsert(store.t.deputy_totals, KEYS, [_row(ledger, t, svc) for t in rows], keyed)


async def advance_totals(
    svc: Services,
    uow: UnitOfWork,
    store: BatchStore,
    written: Sequence[Written],
    rules: Mapping[LedgerKey, RuleSet],
    read: TotalsRead | None = None,
) -> None:
    """Advance the totals of every deputy a batch wrote entries for; stage what changed.

    ``read``: what the batch's load read already (the stored rows, the best totals, the voided
    flags of the live entries); what it does not cover is read here.
    """
    traceparent = current_traceparent()  # read once for the batch's events
    by_ledger: dict[LedgerKey, dict[str, list[Written]]] = defaultdict(lambda: defaultdict(list))
    for w in written:
        by_ledger[w.ledger][w.entry.deputy_id].append(w)
    compensated = {w.entry.compensates for w in written if w.entry.compensates is not None}
    if read is None:
        voided = await store.voided(compensated)
    else:  # an entry written by this batch and reversed in it has no status read yet
        voided = (compensated & read.voided) | await store.voided(compensated - read.entries)
    for key, people in by_ledger.items():
        ledger, ruleset = Ledger(*key), rules[key]
        if read is not None and people.keys() <= read.deputies:
            rows = read.rows.get(ledger, {})
            before = {d: totals_from(rows[d]) for d in people if d in rows}
        else:
            before = await stored_totals(store, ledger, people)
        best = None
        if ruleset.grading.normalise_to_100:
            if read is not None and ledger in read.best:
                best = read.best[ledger]
            else:
                best = await _best(store, ledger)
        after: dict[str, DeputyTotals] = {}
        for deputy_id, lines in people.items():
            entries = [w.entry for w in lines]
            reversed_rules = {
                e.compensates: e.rule_id
                for e in entries
                if e.compensates is not None and e.compensates not in voided
            }
            start = before.get(deputy_id) or tally(deputy_id, entries[0].township, (), (), ruleset)
            after[deputy_id] = advance(start, entries, reversed_rules, ruleset, best)
        if best is not None:  # graded against the best total, this batch's included
            top = max([best, *(t.total for t in after.values())])
            after = {d: advance(t, (), {}, ruleset, top) for d, t in after.items()}
        # queued: written at commit with the batch's rows (nothing reads it before)
        uow.upsert(store.t.deputy_totals, KEYS, [_row(ledger, t, svc) for t in after.values()])
        for deputy_id, t in after.items():
            cause = people[deputy_id][-1].cause
            was = before.get(deputy_id)
            _changed(svc, uow, ledger, was, t, ruleset.base_points, cause, traceparent)


async def _recount(
    svc: Services,
    uow: UnitOfWork,
    store: BatchStore,
    row: RuleSetRow,
    deputies: Iterable[str] | None,
    cause: Envelope[Any] | None,
    previous: RuleSetRow | None = None,
) -> None:
    ledger = Ledger(row.county, row.year, row.version)
    rules = svc.rules(row)
    e = store.t.entries.c
    where = [] if deputies is None else [e.deputy_id.in_(set(deputies))]
    lines = await store.entries(ledger, *where)
    mine: dict[str, list[Entry]] = {}
    townships: dict[str, str] = {}
    confirmed: set[str] = set()
    for r in lines:
        townships[r.deputy_id] = r.township
        kept = mine.setdefault(r.deputy_id, [])  # all lines voided: the deputy still counts
        if r.status == Status.voided:
            continue
        kept.append(entry_of(r))
        if r.status == Status.rechecked:
            confirmed.add(r.entry_id)
    only = None if deputies is None else set(deputies)
    stored = await stored_totals(store, ledger, only)
    before = stored
    if previous is not None:  # a new version: its differences are against the retired one's
        before = await stored_totals(
            store, Ledger(previous.county, previous.year, previous.version), only
        )
    best = None
    if rules.grading.normalise_to_100:
        best = await _best(store, ledger)
    after = {}
    for deputy_id in sorted(set(mine) | set(before)):
        township = townships.get(deputy_id) or before[deputy_id].township
        lines_of = mine.get(deputy_id, [])
        after[deputy_id] = tally(deputy_id, township, lines_of, confirmed, rules, best)
    await _save(svc, store, ledger, list(after.values()), stored)
    traceparent = current_traceparent()
    for deputy_id, t in after.items():
        _changed(svc, uow, ledger, before.get(deputy_id), t, rules.base_points, cause, traceparent)


async def refresh_deputy(svc: Services, uow: UnitOfWork, entry: Row[Any]) -> None:
    """Recount the deputy of a reviewed entry (voided, rechecked, …) and stage what changed."""
    store = BatchStore(uow.session, svc.tables)
    row = await store.rule_set(entry.county, entry.year, entry.rule_set_version)
    if row is not None:
        await _recount(svc, uow, store, row, [entry.deputy_id], None)


async def refresh_ledger(
    svc: Services,
    uow: UnitOfWork,
    row: RuleSetRow,
    cause: Envelope[Any] | None = None,
    previous: RuleSetRow | None = None,
) -> None:
    """Count a ledger derived anew whole and stage what changed (against ``previous``'s totals)."""
    await _recount(svc, uow, BatchStore(uow.session, svc.tables), row, None, cause, previous)


async def replace_ledger_totals(
    svc: Services, uow: UnitOfWork, row: RuleSetRow, counted: Mapping[str, DeputyTotals]
) -> None:
    """Store a ledger's totals counted elsewhere whole (a replay counts them as it derives the
    ledger) and stage what changed, as ``refresh_ledger`` would: graded against the best total
    stored, a deputy stored but without lines now back to the base points."""
    store = BatchStore(uow.session, svc.tables)
    ledger = Ledger(row.county, row.year, row.version)
    rules = svc.rules(row)
    stored = await stored_totals(store, ledger)
    best = await _best(store, ledger) if rules.grading.normalise_to_100 else None
    after = {}
    for deputy_id in sorted(set(counted) | set(stored)):
        found = counted.get(deputy_id)
        if found is None:
            after[deputy_id] = tally(deputy_id, stored[deputy_id].township, (), (), rules, best)
        else:
            after[deputy_id] = advance(found, (), {}, rules, best)
    await _save(svc, store, ledger, list(after.values()), stored)
    traceparent = current_traceparent()
    for deputy_id, t in after.items():
        _changed(svc, uow, ledger, stored.get(deputy_id), t, rules.base_points, None, traceparent)


async def count_uncounted(svc: Services) -> int:
    """Count every active ledger that has entries and no totals yet (a database from before the
    projection, or a ledger written by an older version); return how many were counted."""
    t = svc.tables
    r, e, d = t.rule_sets, t.entries, t.deputy_totals
    same = (
        (e.c.county == r.c.county) & (e.c.year == r.c.year) & (e.c.rule_set_version == r.c.version)
    )
    counted = (
        (d.c.county == r.c.county) & (d.c.year == r.c.year) & (d.c.rule_set_version == r.c.version)
    )
    async with svc.uow() as uow:
        found = await uow.session.execute(
            select(r).where(
                r.c.status == "active",
                select(e.c.entry_id).where(same).exists(),
                ~select(d.c.deputy_id).where(counted).exists(),
            )
        )
        rows = [RuleSetRow(**dict(x._mapping)) for x in found]
    for row in rows:
        async with svc.uow() as uow:
            await BatchStore(uow.session, t).lock_county(row.county)
            await _recount(svc, uow, BatchStore(uow.session, t), row, None, None)
            await uow.commit()
    return len(rows)
