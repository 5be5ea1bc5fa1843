"""A run of events applied in memory: roster, parking and every active ledger of their counties.

Pure: the consumer loads what a batch touches into a ``Snapshot``, applies the events in order
with ``Intake.apply`` (the same steps, in the same order, as one event at a time) and writes what
the intake recorded. An event about a township or deputy not on the roster waits (``parked``)
until the roster event naming it, then is applied right after it, in the order it was parked.
The derivation state of a ledger is what ``Ledger`` needs for the batch's subjects and deputies:
the live entries of each subject and the capped sums of each deputy that can earn.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from contracts.envelope import RawEnvelope
from scoring.domain import facts as f
from scoring.domain.entries import Entry
from scoring.domain.ledger import Ledger, LedgerState
from scoring.domain.rules import RuleSet
from scoring.domain.slots import set_by_slot

LedgerKey = tuple[str, int, int]
"""A ledger: county, year, rule set version."""

Signers = tuple[str, tuple[str, ...]]


def subject_of(fact: f.Fact) -> str | None:
    """Return the ledger subject a fact is about (an activity or a case), if any."""
    if isinstance(fact, f.ActivityHeld | f.ActivityCancelled | f.AttendanceMarked):
        return f"activity:{fact.activity_id}"
    if isinstance(
        fact,
        f.SuggestionFiled | f.CaseReplied | f.KeyChaseDesignated | f.FeedbackGiven | f.CaseReopened,
    ):
        return f"case:{fact.case_id}"
    if isinstance(fact, f.CaseAssigned) and fact.key_chase:  # else it earns nothing
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


def earners(fact: f.Fact) -> set[str]:
    """Return the deputies a fact can post entries to by name (an own mark's deputy included)."""
    if isinstance(fact, f.AttendanceMarked):
        return {fact.deputy_id}
    return named_deputies(fact)


def deed_day(fact: f.Fact) -> date | None:
    """Return the day of the deed a fact can earn points for, if it can."""
    if isinstance(fact, f.ActivityHeld | f.AttendanceMarked):
        return fact.held_on
    if isinstance(fact, f.SuggestionFiled):
        return fact.filed_on
    if isinstance(fact, f.CaseReplied):
        return fact.replied_on
    if isinstance(fact, f.KeyChaseDesignated):
        return fact.designated_on
    if isinstance(fact, f.CaseAssigned):
        return fact.assigned_on if fact.key_chase else None
    if isinstance(fact, f.FeedbackGiven):
        return fact.given_on
    return None


def roster_key(fact: f.Fact) -> str | None:
    """Return the parking key a roster fact releases (``township:…``, ``deputy:…``)."""
    if isinstance(fact, f.TownshipKnown):
        return f"township:{fact.township}"
    if isinstance(fact, f.DeputyOnRoster):
        return f"deputy:{fact.deputy_id}"
    return None


@dataclass
class Parked:
    """An event waiting for roster keys; ``stored`` when it was parked by an earlier batch."""

    seq: int
    envelope: RawEnvelope
    fact: f.Fact | None
    waits: set[str]
    stored: bool


@dataclass
class Snapshot:
    """What a batch reads: the roster, the rule sets, the derivation state, the parked events."""

    townships: dict[str, str] = field(default_factory=dict)
    deputy_versions: dict[str, int] = field(default_factory=dict)
    rule_years: dict[str, set[int]] = field(default_factory=dict)
    active: dict[str, list[RuleSet]] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    hours: dict[str, Decimal] = field(default_factory=dict)
    signers: dict[str, Signers] = field(default_factory=dict)
    live: dict[LedgerKey, dict[str, list[Entry]]] = field(default_factory=dict)
    sums: dict[LedgerKey, dict[tuple[str, int, str], Decimal]] = field(default_factory=dict)
    parked: dict[str, Parked] = field(default_factory=dict)
    next_seq: int = 1


@set_by_slot
@dataclass(frozen=True, slots=True)
class Written:
    """An entry a fact wrote in a ledger, with the event that caused it."""

    ledger: LedgerKey
    entry: Entry
    cause: RawEnvelope


@dataclass(frozen=True)
class YearNeeded:
    """A deed in a year its county has no rule set for yet: adopt the seed before applying."""

    county: str
    year: int
    cause: RawEnvelope


class Intake:
    """Applies events in order to a snapshot and records every write one event at a time would do.

    With ``dry`` a deed in a year without rules is noted in ``years`` and goes on (the caller
    adopts those years, loads again and applies for real); otherwise it is an error.
    """

    def __init__(self, snapshot: Snapshot, *, dry: bool = False) -> None:
        self.s = snapshot
        self.dry = dry
        self.ledgers: dict[LedgerKey, Ledger] = {}
        self.townships_put: dict[str, tuple[str, str]] = {}
        self.deputies_put: dict[str, dict[str, Any]] = {}
        self.names_put: dict[str, dict[str, Any]] = {}
        self.facts: list[tuple[RawEnvelope, str]] = []
        self.written: list[Written] = []
        self.not_covered: list[str] = []
        self.years: list[YearNeeded] = []
        self.released_keys: set[str] = set()
        self.unparked: set[str] = set()
        self.signers_put: dict[str, Signers] = {}
        self.townships_before = {(code,) for code in snapshot.townships}
        self.deputies_before = {(d,) for d in snapshot.deputy_versions}
        self.versions_before = dict(snapshot.versions)
        self.hours_before = dict(snapshot.hours)
        self.parking_moved = False

    # --- the steps of one event ----------------------------------------------------------------

    def apply(
        self, envelope: RawEnvelope, fact: f.Fact | None, event_id: str | None = None
    ) -> None:
        """Apply one event (and what it releases) exactly as its own transaction would.

        ``event_id``: the text of the envelope's id when the caller formatted it already."""
        if fact is None:
            self.not_covered.append(envelope.type)
            return
        if isinstance(fact, f.TownshipKnown | f.DeputyOnRoster):
            self.parking_moved = True
            if not self._roster(fact, envelope):
                self._park(envelope, fact, [f"township:{fact.township}"])
            return
        county = self.s.townships.get(fact.township)
        waits = [] if county is not None else [f"township:{fact.township}"]
        known = self.s.deputy_versions
        missing = [d for d in named_deputies(fact) if d not in known]
        if missing:
            waits += [f"deputy:{d}" for d in sorted(missing)]
        if county is None or waits:
            self.parking_moved = True
            self._park(envelope, fact, waits)
            return
        day = deed_day(fact)
        if (
            day is not None
            and day.year >= 2000
            and day.year not in self.s.rule_years.setdefault(county, set())
        ):
            if not self.dry:
                raise LookupError(f"no rule set of {county} for {day.year} was prepared")
            self.years.append(YearNeeded(county, day.year, envelope))
            self.s.rule_years[county].add(day.year)
        self.facts.append((envelope, county))
        if not self._ledgers(fact, county, envelope, event_id):
            self.not_covered.append(envelope.type)

    def _roster(self, fact: f.TownshipKnown | f.DeputyOnRoster, envelope: RawEnvelope) -> bool:
        if isinstance(fact, f.TownshipKnown):
            self.s.townships[fact.township] = fact.county
            self.s.rule_years.setdefault(fact.county, set())
            self.s.active.setdefault(fact.county, [])
            self.townships_put[fact.township] = (fact.county, fact.kind.value)
            self.facts.append((envelope, fact.county))
            self._release(f"township:{fact.township}")
            return True
        county = self.s.townships.get(fact.township)
        if county is None:
            return False
        known = self.s.deputy_versions.get(fact.deputy_id)
        if known is None or known < fact.version:
            self.s.deputy_versions[fact.deputy_id] = fact.version
            self.deputies_put[fact.deputy_id] = {
                "deputy_id": fact.deputy_id,
                "township": fact.township,
                "status": fact.status.value,
                "levels": sorted(level.value for level in fact.levels),
                "version": fact.version,
            }
        named = self.names_put.get(fact.deputy_id)
        if fact.name is not None and (named is None or named["version"] < fact.version):
            self.names_put[fact.deputy_id] = {
                "deputy_id": fact.deputy_id,
                "name": fact.name,
                "version": fact.version,
            }
        self.facts.append((envelope, county))
        self._release(f"deputy:{fact.deputy_id}")
        return True

    def _park(self, envelope: RawEnvelope, fact: f.Fact, waits: Iterable[str]) -> None:
        seq = self.s.next_seq
        self.s.next_seq += 1
        self.s.parked[str(envelope.id)] = Parked(seq, envelope, fact, set(waits), stored=False)

    def _release(self, key: str) -> None:
        waiting = [p for p in self.s.parked.values() if key in p.waits]
        if not waiting:
            return
        self.released_keys.add(key)
        for p in waiting:
            p.waits.discard(key)
        free = sorted((p for p in waiting if not p.waits), key=lambda p: p.seq)
        for p in free:
            del self.s.parked[str(p.envelope.id)]
            if p.stored:
                self.unparked.add(str(p.envelope.id))
        for p in free:
            self.apply(p.envelope, p.fact)

    # --- the ledgers ---------------------------------------------------------------------------

    def _ledger(self, rules: RuleSet) -> Ledger:
        key = (rules.county, rules.year, rules.version)
        found = self.ledgers.get(key)
        if found is None:
            state = LedgerState(
                versions=dict(self.s.versions),
                live={k: list(v) for k, v in self.s.live.get(key, {}).items()},
                sums=dict(self.s.sums.get(key, {})),
                signers=dict(self.s.signers),
                hours=dict(self.s.hours),
            )
            found = self.ledgers[key] = Ledger(rules, state)
        return found

    def _ledgers(
        self, fact: f.Fact, county: str, envelope: RawEnvelope, event_id: str | None = None
    ) -> int:
        """Apply a fact to every active ledger of its county; return the entries written."""
        written = 0
        subject = subject_of(fact)
        touched = [subject] if subject is not None else []
        if isinstance(fact, f.AttendanceMarked) and subject is not None:
            touched.append(f"{subject}/{fact.deputy_id}")
        activity = getattr(fact, "activity_id", None)
        ledgers = [self._ledger(rules) for rules in self.s.active.get(county, [])]  # all from
        # Formatted once for every ledger (the fact's id is its envelope's).
        source_id = str(fact.source.event_id) if event_id is None else event_id
        for ledger in ledgers:  # the state before this fact
            entries = ledger.apply(fact, source_id)
            if entries:
                rules = ledger.rules
                where = (rules.county, rules.year, rules.version)
                self.written += [Written(where, entry, envelope) for entry in entries]
                written += len(entries)
            state = ledger.state
            for k in touched:
                if k in state.versions and state.versions[k] > self.s.versions.get(k, 0):
                    self.s.versions[k] = state.versions[k]
            if isinstance(activity, str) and activity in state.hours:
                self.s.hours[activity] = state.hours[activity]
        if isinstance(fact, f.ActivityHeld | f.ActivityCancelled) and subject is not None:
            self.s.versions[subject] = max(fact.version, self.s.versions.get(subject, 0))
        if isinstance(fact, f.SuggestionFiled):
            if fact.case_id not in self.s.signers:
                self.s.signers[fact.case_id] = (fact.lead, fact.co_signers)
                self.signers_put[fact.case_id] = self.s.signers[fact.case_id]
            first = self.s.signers[fact.case_id]
            for rules in self.s.active.get(county, []):  # the first filing's signatories stay
                self._ledger(rules).state.signers[fact.case_id] = first
        return written

    # --- what to write -------------------------------------------------------------------------

    def versions_moved(self) -> tuple[dict[str, int], dict[str, int]]:
        """Return the activity versions to insert and to update."""
        new = {k: v for k, v in self.s.versions.items() if k not in self.versions_before}
        moved = {
            k: v
            for k, v in self.s.versions.items()
            if k in self.versions_before and self.versions_before[k] != v
        }
        return new, moved

    def hours_moved(self) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        """Return the activity durations to insert and to update."""
        new = {k: v for k, v in self.s.hours.items() if k not in self.hours_before}
        moved = {
            k: v
            for k, v in self.s.hours.items()
            if k in self.hours_before and self.hours_before[k] != v
        }
        return new, moved

    def still_parked(self) -> list[Parked]:
        """Return the events parked by this batch that still wait, in the order parked."""
        return sorted((p for p in self.s.parked.values() if not p.stored), key=lambda p: p.seq)
