"""Write a batch's facts into the ledgers: one ledger per active rule set of each fact's county.

Every ledger of a county is fed every fact (a correction moved into another year is reversed in
the old year's ledger and earned in the new one's). The derivation state the batch needs is
loaded once (``load``): the roster and rule sets it names, the live entries of its subjects, the
capped sums of the deputies that can earn, activity versions and durations, signatories and the
parked events its roster events can release; ``write`` stores what the intake recorded with one
statement per table.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from contracts.envelope import Envelope, RawEnvelope
from contracts.scoring import PointsRecorded
from kit.events import event
from kit.tracing import current_traceparent
from kit.uow import UnitOfWork
from scoring.adapters.store import BatchStore, Ledger, entry_row
from scoring.domain import facts as f
from scoring.domain.entries import Entry
from scoring.domain.intake import (
    Intake,
    LedgerKey,
    Parked,
    Snapshot,
    deed_day,
    earners,
    named_deputies,
    roster_key,
    subject_of,
)
from scoring.domain.rules import RuleSet
from scoring.domain.translate import fact_of
from scoring.events import points_recorded, points_recorded_fields
from scoring.handlers.context import Services

SOURCE = "/services/scoring"
COPY_FROM = 200
"""From this many facts a batch's facts and entries go by ``COPY`` (measured: faster than in the
commit's one statement for backlog fetches); below, in that statement (one round trip less)."""

__all__ = [
    "SOURCE",
    "Loaded",
    "TotalsRead",
    "deed_day",
    "load",
    "named_deputies",
    "stage_entries",
    "subject_of",
    "write",
]


def stage_entries(
    svc: Services, uow: UnitOfWork, entries: Sequence[Entry], cause: Envelope[Any] | None
) -> None:
    """Stage one ``scoring.points.recorded`` event per new entry (outbox, same transaction)."""
    uow.stage(*(event(points_recorded(entry), source=SOURCE, cause=cause) for entry in entries))
    count_entries(svc, uow, entries)


def count_entries(svc: Services, uow: UnitOfWork, entries: Iterable[Entry]) -> None:
    """Move the entries and points metrics once the transaction commits (one update per label).

    Counted after the commit, not inside it: a batch that fails and is applied again (one event
    at a time, or whole after a database error) counts its entries once.
    """
    by_category: dict[str, int] = {}
    awarded: dict[str, float] = {}
    for entry in entries:
        by_category[entry.category.value] = by_category.get(entry.category.value, 0) + 1
        if entry.points > 0:
            awarded[entry.township] = awarded.get(entry.township, 0.0) + float(entry.points)
    if not by_category:
        return

    def count() -> None:
        for category, n in by_category.items():
            svc.metrics.entries.labels(category).inc(n)
        for township, points in awarded.items():
            svc.metrics.awarded.labels(township).inc(points)

    uow.after_commit(count)


async def _parked(
    store: BatchStore, facts: Sequence[f.Fact | None], snapshot: Snapshot
) -> list[f.Fact | None]:
    """Load the parked events the batch's roster events can release (and those they release)."""
    keys = {k for x in facts if x is not None and (k := roster_key(x)) is not None}
    asked: set[str] = set()
    released: list[f.Fact | None] = []
    while keys - asked:
        ask = keys - asked
        asked |= ask
        for seq, doc, waits in await store.parked_on(ask):
            envelope = RawEnvelope.model_validate(doc)
            if str(envelope.id) in snapshot.parked:
                continue
            fact = fact_of(envelope)
            snapshot.parked[str(envelope.id)] = Parked(seq, envelope, fact, waits, stored=True)
            released.append(fact)
            if fact is not None and (k := roster_key(fact)) is not None:
                keys.add(k)
    return released


@dataclass
class Loaded:
    """What ``load`` read: the intake's snapshot, the active rule sets and the totals part."""

    snapshot: Snapshot
    rules: dict[LedgerKey, RuleSet]
    totals: TotalsRead | None
    """The stored totals, read with the roster (PostgreSQL); None: ``advance_totals`` reads."""
    parked: int | None
    """Events parked before the batch (PostgreSQL), for the gauge."""


@dataclass(frozen=True)
class TotalsRead:
    """The totals rows of ``deputies`` in every active ledger, the best totals, and which of
    the live entries read (``entries``) are voided."""

    rows: dict[Ledger, dict[str, dict[str, Any]]]
    deputies: set[str]
    best: dict[Ledger, Decimal | None]
    entries: set[str]
    voided: set[str]


async def load(
    svc: Services, store: BatchStore, facts: Sequence[f.Fact | None], *, again: bool = False
) -> Loaded:
    """Load what applying the facts (and the parked events they release) reads.

    Two round trips on PostgreSQL whatever the batch: the county locks (with the plan mode),
    then one statement for the roster, state, rule sets and, across every active ledger at
    once, the live entries, capped sums and totals (the parked events a roster event releases
    add one or two; a rule set first parsed in this batch, its sums). ``again``: the locks are
    held already (a second load in the same transaction).
    """
    snapshot = Snapshot()
    # The county locks first (a township code starts with its county's): what another instance
    # commits meanwhile (a roster event, a release, an activation) is read, never half-missed.
    locked = {x.township[:6] for x in facts if x is not None}
    if not again:
        await store.begin(locked)
    every = [*facts, *await _parked(store, facts, snapshot)]
    known = [x for x in every if x is not None]
    more = {x.township[:6] for x in known} - locked
    await store.lock_counties(more)
    locked |= more
    people = {d for x in known for d in earners(x)}
    people |= {x.deputy_id for x in known if isinstance(x, f.DeputyOnRoster)}
    subjects = {s for x in known if (s := subject_of(x)) is not None}
    cases = {s.removeprefix("case:") for s in subjects if s.startswith("case:")}
    activities = {a for x in known if isinstance(a := getattr(x, "activity_id", None), str)}
    named = {x.county for x in known if isinstance(x, f.TownshipKnown)}
    asked = svc.capped_known()
    while True:
        read = await store.roster(
            {x.township for x in known}, cases, people, activities, subjects, locked | named, asked
        )
        counties = set(read.townships.values()) | named
        if counties <= locked:
            break
        await store.lock_counties(counties - locked)  # a county that is not its codes' prefix:
        locked |= counties  # locked now, read again (what its writers committed meanwhile)
    snapshot.next_seq = read.last_parked_seq + 1
    snapshot.townships = read.townships
    snapshot.signers = read.signers
    people |= {d for lead, co in snapshot.signers.values() for d in (lead, *co)}
    snapshot.deputy_versions = read.deputy_versions
    snapshot.versions = read.versions
    snapshot.hours = read.hours
    rules: dict[LedgerKey, RuleSet] = {}
    for county in counties:
        snapshot.rule_years[county] = set()
        snapshot.active[county] = []
    for row in read.rule_sets:
        if row.county not in counties:
            continue
        snapshot.rule_years[row.county].add(row.year)
        if row.status == "active":
            ruleset = svc.rules(row)
            snapshot.active[row.county].append(ruleset)
            rules[(row.county, row.year, row.version)] = ruleset
    ledgers = [Ledger(*key) for key in rules]
    capped = {Ledger(*key): svc.capped(ruleset) for key, ruleset in rules.items()}
    derived = read.derived
    if derived is None:  # not PostgreSQL: a statement each
        written = await store.live_across(ledgers, subjects)
        sums = await store.sums_across(capped, people)
    else:
        written = {x: derived.live.get(x, []) for x in ledgers}
        sums = {
            x: {k: v for k, v in derived.sums.get(x, {}).items() if k[2] in capped[x]}
            for x in ledgers
        }
        unasked = {x: ids for x, ids in capped.items() if not ids <= derived.capped}
        if unasked:  # a rule set parsed by this batch: its sums were not asked for
            sums.update(await store.sums_across(unasked, people))
    for ledger in ledgers:
        key = (ledger.county, ledger.year, ledger.version)
        live: dict[str, list[Entry]] = {}
        compensated = {e.compensates for e in written[ledger] if e.compensates is not None}
        for e in written[ledger]:
            if not e.is_reversal and e.entry_id not in compensated:
                live.setdefault(e.subject, []).append(e)
        snapshot.live[key] = live
        snapshot.sums[key] = sums[ledger]
    if derived is None:
        return Loaded(snapshot, rules, None, None)
    totals = TotalsRead(
        rows=derived.totals,
        deputies=derived.deputies,
        best=derived.best,
        entries={e.entry_id for x in derived.live.values() for e in x},
        voided=derived.voided,
    )
    return Loaded(snapshot, rules, totals, derived.parked)


def _json(envelope: RawEnvelope) -> Any:
    """Return an envelope as JSON values (pydantic's JSON dump and a C parse: ~10× faster than
    ``model_dump(mode="json")`` of a ``dict[str, Any]`` payload, whose values it inspects)."""
    return json.loads(envelope.model_dump_json())


async def write(svc: Services, uow: UnitOfWork, store: BatchStore, intake: Intake) -> None:
    """Queue what the intake recorded in the unit of work: written at commit in one statement.

    The kit writes every queued row, upsert and outbox event in one statement. Only the deletes
    of released parked events run now and, in a batch of ``COPY_FROM`` facts or more, the facts
    and entries (``COPY``). Nothing in the transaction reads these tables afterwards.
    """
    now = svc.now()
    t = store.t
    if intake.townships_put:
        rows = [
            {"code": code, "county": county, "kind": kind}
            for code, (county, kind) in intake.townships_put.items()
        ]
        uow.upsert(t.townships, ("code",), rows)
    if intake.deputies_put:
        uow.upsert(t.deputies, ("deputy_id",), list(intake.deputies_put.values()), newer="version")
    if intake.names_put:
        uow.upsert(t.deputy_names, ("deputy_id",), list(intake.names_put.values()), newer="version")
    if len(intake.facts) >= COPY_FROM:  # a backlog's fetch: COPY beats one big statement
        await store.keep_facts(intake.facts, now)
        await store.add_ledger_entries([(Ledger(*w.ledger), w.entry) for w in intake.written], now)
    else:
        uow.add_all(
            t.facts,
            [
                {
                    "event_id": str(envelope.id),
                    "event_type": envelope.type,
                    "county": county,
                    "township": envelope.township,
                    "envelope": _json(envelope),
                    "stored_at": now,
                }
                for envelope, county in intake.facts
            ],
        )
        uow.add_all(t.entries, [entry_row(w.entry, Ledger(*w.ledger), now) for w in intake.written])
    await store.unpark(intake.released_keys, intake.unparked)
    parked = list(intake.still_parked())
    uow.add_all(
        t.parked,
        [
            {
                "event_id": str(p.envelope.id),
                "envelope": _json(p.envelope),
                "parked_at": now,
            }
            for p in parked
        ],
    )
    uow.add_all(
        t.parked_waits,
        [
            {"event_id": str(p.envelope.id), "waits_for": key}
            for p in parked
            for key in sorted(set(p.waits))
        ],
    )
    traceparent = current_traceparent()  # read once for the batch's events
    causes: dict[UUID, str] = {}  # each cause's id formatted once (a fact writes several entries)
    rows = []
    for w in intake.written:
        cause = causes.get(w.cause.id)
        if cause is None:
            cause = causes[w.cause.id] = str(w.cause.id)
        rows.append(
            uow.outbox.row_of(
                PointsRecorded,
                points_recorded_fields(w.entry),
                source=SOURCE,
                correlationid=w.cause.correlationid,
                causationid=cause,
                traceparent=traceparent,
            )
        )
    uow.stage_rows(rows)
    count_entries(svc, uow, (w.entry for w in intake.written))
    new, moved = intake.versions_moved()
    uow.upsert(
        t.activity_versions,
        ("subject",),
        [{"subject": k, "version": v} for k, v in {**new, **moved}.items()],
    )
    fresh, changed = intake.hours_moved()
    uow.upsert(
        t.activity_hours,
        ("activity_id",),
        [{"activity_id": k, "hours": v} for k, v in {**fresh, **changed}.items()],
    )
    uow.add_all(
        t.case_signers,
        [
            {"case_id": case_id, "lead": lead, "co_signers": list(co)}
            for case_id, (lead, co) in intake.signers_put.items()
        ],
    )
    if intake.not_covered:
        not_covered = list(intake.not_covered)

        def count() -> None:
            for event_type in not_covered:
                svc.metrics.not_covered.labels(event_type).inc()

        uow.after_commit(count)
