"""Apply events in memory exactly as the ledger consumer applies them, one at a time.

What the consumer does in SQL this does in dictionaries: the inbox by event id, the roster
projection, parking of an event about a township or deputy not on the roster (released, in the
order parked, by the roster event it waits for), the seed rule set adopted by the first deed of
a county's year (derived from the county's facts so far), the fact kept, and the fact applied to
every active ledger of its county with the pure ``scoring.domain.ledger``. Kept facts and new
entries are handed out in batches (``drain``) for the caller to write; the rest is read at the end.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from contracts.envelope import RawEnvelope
from scoring.adapters.store import Ledger as LedgerKey, RuleSetRow
from scoring.domain import facts as f
from scoring.domain.documents import parse_rule_set
from scoring.domain.entries import Entry
from scoring.domain.intake import deed_day, named_deputies
from scoring.domain.ledger import Ledger
from scoring.domain.rules import RuleSet
from scoring.domain.translate import fact_of
from scoring.handlers.rulesets import SYSTEM, default_document

History = Callable[[str], AsyncIterable[RawEnvelope]]
"""The facts kept so far for a county, in the order kept (a new ledger is derived from them)."""


@dataclass(frozen=True, slots=True)
class Kept:
    """A fact kept: the event whole and the county it was placed in."""

    envelope: RawEnvelope
    county: str


@dataclass(frozen=True)
class Drained:
    """What the fold handed out since the last drain, for the caller to write."""

    kept: list[Kept]
    written: list[tuple[LedgerKey, Entry]]
    claimed: list[tuple[str, str]]


@dataclass
class Parked:
    """An event waiting for roster keys (``township:…``, ``deputy:…``), in the order parked."""

    seq: int
    envelope: RawEnvelope
    waits: set[str]
    at: datetime


@dataclass
class Counts:
    """What the fold did, for the progress output and the report."""

    applied: int = 0
    duplicates: int = 0
    not_covered: int = 0
    parked: int = 0
    entries: int = 0


@dataclass
class Fold:
    """The consumer's state, in memory, for one replay."""

    rule_sets: dict[str, list[RuleSetRow]]
    history: History
    now: Callable[[], datetime]
    townships: dict[str, tuple[str, str]] = field(default_factory=dict)
    deputies: dict[str, dict[str, Any]] = field(default_factory=dict)
    signers: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    parked: dict[str, Parked] = field(default_factory=dict)
    waiting: dict[str, list[str]] = field(default_factory=dict)
    ledgers: dict[tuple[str, int, int], Ledger] = field(default_factory=dict)
    adopted: list[RuleSetRow] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)
    counts: Counts = field(default_factory=Counts)
    kept: list[Kept] = field(default_factory=list)
    written: list[tuple[LedgerKey, Entry]] = field(default_factory=list)
    claimed: list[tuple[str, str]] = field(default_factory=list)
    _parked_seq: int = 0
    _rules: dict[tuple[str, int, int], RuleSet] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Open one ledger per active rule set known at the start."""
        for rows in self.rule_sets.values():
            for row in rows:
                if row.status == "active":
                    self._open(row)

    # --- the consumer's steps ---------------------------------------------------------------

    async def apply(self, envelope: RawEnvelope) -> None:
        """Apply one delivered event: the inbox first, then as ``consume.apply_event``."""
        event_id = envelope.id.int
        if event_id in self.seen:
            self.counts.duplicates += 1
            return
        self.seen.add(event_id)
        self.claimed.append((str(envelope.id), envelope.type))
        self.counts.applied += 1
        await self._event(envelope)

    async def _event(self, envelope: RawEnvelope) -> None:
        fact = fact_of(envelope)
        if fact is None:
            self.counts.not_covered += 1
            return
        if isinstance(fact, f.TownshipKnown | f.DeputyOnRoster):
            if not await self._roster(fact, envelope):
                self._park(envelope, [f"township:{fact.township}"])
            return
        county = self.townships.get(fact.township, (None,))[0]
        waits = [] if county is not None else [f"township:{fact.township}"]
        named = named_deputies(fact)
        waits += [f"deputy:{d}" for d in sorted(named - self.deputies.keys())]
        if county is None or waits:
            self._park(envelope, waits)
            return
        day = deed_day(fact)
        rows = self.rule_sets.setdefault(county, [])
        if day is not None and day.year >= 2000 and all(r.year != day.year for r in rows):
            await self._adopt(county, day.year)
        self.kept.append(Kept(envelope, county))
        before = self.counts.entries
        for key, ledger in self.ledgers.items():
            if key[0] == county:
                self._write(key, ledger.apply(fact))
                ledger.state.seen.clear()  # the inbox dedups; the consumer restores no ids either
        if self.counts.entries == before:
            self.counts.not_covered += 1
        if isinstance(fact, f.SuggestionFiled) and fact.case_id not in self.signers:
            self.signers[fact.case_id] = (fact.lead, fact.co_signers)

    async def _roster(
        self, fact: f.TownshipKnown | f.DeputyOnRoster, envelope: RawEnvelope
    ) -> bool:
        if isinstance(fact, f.TownshipKnown):
            self.townships[fact.township] = (fact.county, fact.kind.value)
            self.kept.append(Kept(envelope, fact.county))
            await self._release(f"township:{fact.township}")
            return True
        county = self.townships.get(fact.township, (None,))[0]
        if county is None:
            return False
        known = self.deputies.get(fact.deputy_id)
        if known is None or known["version"] < fact.version:
            self.deputies[fact.deputy_id] = {
                "deputy_id": fact.deputy_id,
                "township": fact.township,
                "status": fact.status.value,
                "levels": sorted(level.value for level in fact.levels),
                "version": fact.version,
            }
        self.kept.append(Kept(envelope, county))
        await self._release(f"deputy:{fact.deputy_id}")
        return True

    def _park(self, envelope: RawEnvelope, waits: Iterable[str]) -> None:
        keys = set(waits)
        self._parked_seq += 1
        self.parked[str(envelope.id)] = Parked(self._parked_seq, envelope, keys, self.now())
        for key in sorted(keys):
            self.waiting.setdefault(key, []).append(str(envelope.id))
        self.counts.parked += 1

    async def _release(self, key: str) -> None:
        """Apply the events that waited only for ``key``, in the order they were parked."""
        ids = self.waiting.pop(key, [])
        free = []
        for event_id in ids:
            parked = self.parked[event_id]
            parked.waits.discard(key)
            if not parked.waits:
                free.append(event_id)
        for event_id in sorted(free, key=lambda e: self.parked[e].seq):
            envelope = self.parked.pop(event_id).envelope
            self.counts.parked -= 1
            await self._event(envelope)

    # --- ledgers ------------------------------------------------------------------------------

    def rules(self, row: RuleSetRow) -> RuleSet:
        """Return the parsed rules of a rule set row (cached)."""
        key = (row.county, row.year, row.version)
        found = self._rules.get(key)
        if found is None:
            found = parse_rule_set(row.document).model_copy(update={"version": row.version})
            self._rules[key] = found
        return found

    def _open(self, row: RuleSetRow) -> Ledger:
        ledger = Ledger(self.rules(row))
        self.ledgers[(row.county, row.year, row.version)] = ledger
        return ledger

    async def _adopt(self, county: str, year: int) -> None:
        """Adopt the seed for a county's year, derived from the county's facts kept so far."""
        now = self.now()
        document = default_document(county, year)
        row = RuleSetRow(
            county=county,
            year=year,
            version=1,
            status="active",
            title=parse_rule_set(document).title,
            document=document,
            created_by=SYSTEM,
            created_at=now,
            activated_by=SYSTEM,
            activated_at=now,
        )
        self.rule_sets[county].append(row)
        self.adopted.append(row)
        ledger = self._open(row)
        key = (county, year, 1)
        async for envelope in self.history(county):
            fact = fact_of(envelope)
            if fact is not None:
                self._write(key, ledger.apply(fact))

    def _write(self, key: tuple[str, int, int], entries: list[Entry]) -> None:
        if entries:
            ledger = LedgerKey(*key)
            self.written.extend((ledger, e) for e in entries)
            self.counts.entries += len(entries)

    # --- what the caller writes ---------------------------------------------------------------

    def drain(self) -> Drained:
        """Return and forget the facts kept, entries written and events claimed since the last."""
        out = Drained(self.kept, self.written, self.claimed)
        self.kept, self.written, self.claimed = [], [], []
        return out

    def versions(self) -> dict[str, int]:
        """Return the latest activity version applied per subject (and per own mark)."""
        out: dict[str, int] = {}
        for ledger in self.ledgers.values():
            for key, version in ledger.state.versions.items():
                out[key] = max(version, out.get(key, 0))
        return out

    def hours(self) -> dict[str, Decimal]:
        """Return the duration of each activity's last record."""
        out: dict[str, Decimal] = {}
        for ledger in self.ledgers.values():
            out.update(ledger.state.hours)
        return out
