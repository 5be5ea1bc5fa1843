"""Apply events in memory with the consumer's own ``domain.intake.Intake``, one at a time.

The consumer loads a snapshot per batch and applies the batch with ``Intake``; the replay keeps
one ``Intake`` over one snapshot for the whole run (it starts empty: nothing is stored yet), so
both take the same steps by construction: roster, parking and release, the fact kept, the fact
applied to every active ledger of its county. What the fold adds is what the consumer does around
the intake: the inbox by event id, the seed rule set adopted for a county's year the first time a
deed needs it (its ledger derived from the county's facts kept so far, as ``ensure_year``), and
the deputies' totals counted as entries are written, and the live entries of subjects not touched
lately moved out of memory (``spill``) and back when needed. Kept facts and written entries are handed
out in batches (``drain``) for the caller to write; the rest (roster, versions, signers, parked,
totals) is read at the end.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from contracts.envelope import RawEnvelope
from scoring.adapters.store import RuleSetRow
from scoring.domain import facts as f
from scoring.domain.documents import parse_rule_set
from scoring.domain.intake import (
    Intake,
    LedgerKey,
    Parked,
    Signers,
    Snapshot,
    Written,
    subject_of,
)
from scoring.domain.ledger import Ledger
from scoring.domain.rules import RuleSet
from scoring.domain.translate import fact_of
from scoring.handlers.rulesets import SYSTEM, default_document
from scoring.replay.ids import Ids
from scoring.replay.spill import Spill
from scoring.replay.totals import Counting

SubjectState = tuple[
    dict[str, int],
    str | None,
    Signers | None,
    list[tuple[LedgerKey, dict[str, int], str | None, Signers | None]],
]
"""A subject's state besides its live entries, moved out with them: the snapshot's versions (the
subject's and its own marks'), duration (as text) and signatories, then the same per ledger
holding any. Plain values only (``marshal``)."""

History = Callable[[str], AsyncIterable[RawEnvelope]]
"""The facts kept so far for a county, in the order kept (a new ledger is derived from them)."""


@dataclass(frozen=True)
class Drained:
    """What the fold handed out since the last drain, for the caller to write."""

    kept: list[tuple[RawEnvelope, str]]
    written: list[Written]
    claimed: list[tuple[str, str]]
    kept_ids: list[str] = field(default_factory=list)
    """The text of each kept fact's event id, in ``kept``'s order (formatted once)."""


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
    """The consumer's intake over one replay, with its inbox and the seed rule sets it adopts."""

    rule_sets: dict[str, list[RuleSetRow]]
    history: History
    now: Callable[[], datetime]
    adopted: list[RuleSetRow] = field(default_factory=list)
    seen: Ids = field(default_factory=Ids)
    counts: Counts = field(default_factory=Counts)
    claimed: list[tuple[str, str]] = field(default_factory=list)
    kept_ids: list[str] = field(default_factory=list)
    voided: set[str] = field(default_factory=set)
    rechecked: set[str] = field(default_factory=set)
    spill: Spill | None = None
    window: int = 50_000
    recent: dict[str, int] = field(default_factory=dict)
    events: int = 0
    _rules: dict[LedgerKey, RuleSet] = field(default_factory=dict)
    intake: Intake = field(init=False)
    counting: Counting = field(init=False)

    def __post_init__(self) -> None:
        """Start the intake on a snapshot holding only the rule sets (nothing else is derived yet)."""
        snapshot = Snapshot()
        for county, rows in self.rule_sets.items():
            snapshot.rule_years[county] = {r.year for r in rows}
            snapshot.active[county] = [self.rules(r) for r in rows if r.status == "active"]
        self.intake = Intake(snapshot, dry=True)
        self.counting = Counting(
            self._rules.__getitem__, voided=self.voided, rechecked=self.rechecked
        )

    # --- the consumer's steps ---------------------------------------------------------------

    async def apply(self, envelope: RawEnvelope, fact: f.Fact | None) -> bool:
        """Apply one delivered event: the inbox first, then the intake; False for a duplicate.

        A deed in a year its county has no rules for adopts the seed (``ensure_year``): the new
        ledger is derived from the county's facts kept so far, this one included.
        """
        applied = self.apply_now(envelope, fact)
        if self.intake.years:
            await self.adopt()
        return applied

    def apply_now(self, envelope: RawEnvelope, fact: f.Fact | None) -> bool:
        """``apply`` but the seed's adoption: the caller awaits ``adopt`` when ``intake.years``
        names a year (no coroutine per event)."""
        if not self.seen.add(envelope.id):
            self.counts.duplicates += 1
            return False
        event_id = str(envelope.id)  # formatted once: the inbox, the ledgers, the facts' row
        self.claimed.append((event_id, envelope.type))
        self.counts.applied += 1
        self.events += 1
        intake = self.intake
        if fact is not None and self.spill is not None:
            subject = subject_of(fact)
            if subject is not None:
                self._touch(subject, self.spill)
            if self.events % max(1, self.window // 2) == 0:
                self._evict(self.spill)
        kept = len(intake.facts)
        intake.apply(envelope, fact, event_id)
        for done, _ in intake.facts[kept:]:  # this event's, and any it released from parking
            self.kept_ids.append(event_id if done is envelope else str(done.id))
        if intake.not_covered:
            self.counts.not_covered += len(intake.not_covered)
            intake.not_covered.clear()
        return True

    async def adopt(self) -> None:
        """Adopt the seed for the years the last event needed (``intake.years``)."""
        needs, self.intake.years = self.intake.years, []
        for need in needs:
            await self._adopt(need.county, need.year)

    # --- live entries in memory -----------------------------------------------------------------

    def _touch(self, subject: str, spill: Spill) -> None:
        """Mark a subject recent; bring its live entries and state back first if moved out."""
        if self.recent.pop(subject, None) is None:
            found = spill.take(subject)
            if found is not None:
                live, state = found
                for key, entries in live:
                    self.intake.ledgers[key].state.live[subject] = entries
                self._put_state(subject, state)
        self.recent[subject] = self.events

    def _evict(self, spill: Spill) -> None:
        """Move the live entries and state of subjects not touched in the last ``window`` events out.

        A parked event's subject stays: its release applies it inside the intake.
        """
        cutoff = self.events - self.window
        recent = self.recent
        old = []
        for subject, seen_at in recent.items():  # in the order last touched
            if seen_at >= cutoff:
                break
            old.append(subject)
        for subject in old:
            del recent[subject]
        keep = {
            s
            for p in self.intake.s.parked.values()
            if p.fact is not None and (s := subject_of(p.fact)) is not None
        }
        snapshot = self.intake.s
        gone: set[str] = set()
        for ledger in self.intake.ledgers.values():
            gone.update(s for s in ledger.state.live if s not in recent)
        gone.update(s for s in snapshot.versions if "/" not in s and s not in recent)
        gone.update(s for c in snapshot.signers if (s := f"case:{c}") not in recent)
        gone -= keep
        ledgers = [(key, ledger.state.live) for key, ledger in self.intake.ledgers.items()]
        spill.put(
            (s, [(key, live.pop(s)) for key, live in ledgers if s in live], self._pop_state(s))
            for s in gone
        )

    def _pop_state(self, subject: str) -> SubjectState:
        """Take a subject's versions, duration and signatories out of the snapshot and ledgers."""
        kind, _, ident = subject.partition(":")
        snapshot, intake = self.intake.s, self.intake
        marks: set[str] = set()
        per: list[tuple[LedgerKey, dict[str, int], str | None, Signers | None]] = []
        for key, ledger in intake.ledgers.items():
            state = ledger.state
            own = state.marks.pop(subject, None) or set()
            marks |= own
            versions = {
                k: v
                for k in (subject, *(f"{subject}/{d}" for d in own))
                if (v := state.versions.pop(k, None)) is not None
            }
            hours = state.hours.pop(ident, None) if kind == "activity" else None
            signers = state.signers.pop(ident, None) if kind == "case" else None
            if versions or hours is not None or signers is not None:
                per.append((key, versions, _text(hours), signers))
        versions = {
            k: v
            for k in (subject, *(f"{subject}/{d}" for d in marks))
            if (v := snapshot.versions.pop(k, None)) is not None
        }
        hours = snapshot.hours.pop(ident, None) if kind == "activity" else None
        signers = None
        if kind == "case":
            signers = snapshot.signers.pop(ident, None)
            intake.signers_put.pop(ident, None)
        return versions, _text(hours), signers, per

    def _put_state(self, subject: str, state: SubjectState) -> None:
        """Put a subject's state taken by ``_pop_state`` back where it was."""
        ident = subject.partition(":")[2]
        versions, hours, signers, per = state
        snapshot = self.intake.s
        snapshot.versions.update(versions)
        if hours is not None:
            snapshot.hours[ident] = Decimal(hours)
        if signers is not None:
            snapshot.signers[ident] = signers
            self.intake.signers_put[ident] = signers
        for key, own_versions, own_hours, own_signers in per:
            ledger = self.intake.ledgers[key].state
            ledger.versions.update(own_versions)
            for k in own_versions:
                _, slash, deputy_id = k.partition("/")
                if slash:
                    ledger.marks.setdefault(subject, set()).add(deputy_id)
            if own_hours is not None:
                ledger.hours[ident] = Decimal(own_hours)
            if own_signers is not None:
                ledger.signers[ident] = own_signers

    def _take_all(self, spill: Spill) -> None:
        """Bring everything moved out back into memory (before a new ledger is derived)."""
        for subject, live, state in spill.take_all():
            for key, entries in live:
                self.intake.ledgers[key].state.live[subject] = entries
            self._put_state(subject, state)

    # --- ledgers ------------------------------------------------------------------------------

    def rules(self, row: RuleSetRow) -> RuleSet:
        """Return the parsed rules of a rule set row (cached)."""
        key = (row.county, row.year, row.version)
        found = self._rules.get(key)
        if found is None:
            found = parse_rule_set(row.document).model_copy(update={"version": row.version})
            self._rules[key] = found
        return found

    async def _adopt(self, county: str, year: int) -> None:
        """Adopt the seed for a county's year and derive its ledger from the county's facts."""
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
        self.rule_sets.setdefault(county, []).append(row)
        self.adopted.append(row)
        rules = self.rules(row)
        key = (county, year, 1)
        if self.spill is not None:  # the new ledger copies the snapshot's state, all of it
            self._take_all(self.spill)
        ledger = Ledger(rules)
        written: list[Written] = []
        async for envelope in self.history(county):
            fact = fact_of(envelope)
            if fact is not None:
                written += (Written(key, e, envelope) for e in ledger.apply(fact))
        ledger.state.seen.clear()
        snapshot = self.intake.s
        ledger.state.signers = dict(snapshot.signers)  # the first filings', as stored
        # What the consumer's intake takes from the new ledger when it applies the event again
        # with it: the versions and durations it derived (the event's own activity included).
        for subject, version in ledger.state.versions.items():
            if version > snapshot.versions.get(subject, 0):
                snapshot.versions[subject] = version
        for activity, hours in ledger.state.hours.items():
            snapshot.hours.setdefault(activity, hours)
        self.intake.ledgers[key] = ledger
        self.intake.s.active.setdefault(county, []).append(rules)
        self.intake.written += written

    # --- what the caller writes ---------------------------------------------------------------

    def drain(self) -> Drained:
        """Return and forget the facts kept, entries written and events claimed since the last.

        The entries are counted into the deputies' totals (``counting``); the ledgers forget the
        event ids they saw: the inbox (``seen``) dedups.
        """
        intake = self.intake
        out = Drained(intake.facts, intake.written, self.claimed, self.kept_ids)
        self.counts.entries += len(intake.written)
        self.counting.add(intake.written)
        intake.facts, intake.written, self.claimed, self.kept_ids = [], [], [], []
        for ledger in intake.ledgers.values():
            ledger.state.seen.clear()
        self.counts.parked = len(intake.s.parked)
        return out

    def pending(self) -> int:
        """Return how many facts and entries wait for the next drain."""
        return len(self.intake.facts) + len(self.intake.written)

    @property
    def ledgers(self) -> list[LedgerKey]:
        """Return every ledger the fold derived (the active ones at the start and the adopted)."""
        keys = {
            (r.county, r.year, r.version)
            for rows in self.rule_sets.values()
            for r in rows
            if r.status == "active"
        }
        return sorted(keys)

    @property
    def townships(self) -> dict[str, tuple[str, str]]:
        """Return the townships on the roster: county and kind."""
        return self.intake.townships_put

    @property
    def deputies(self) -> dict[str, dict[str, Any]]:
        """Return the deputies on the roster, as their rows."""
        return self.intake.deputies_put

    @property
    def names(self) -> dict[str, dict[str, Any]]:
        """Return the deputies' names as their rows."""
        return self.intake.names_put

    def signers(self) -> Iterator[tuple[str, Signers]]:
        """Yield each case's signatories (of its first filing), in memory or moved out."""
        yield from self.intake.signers_put.items()
        if self.spill is not None:
            for subject, signers in self.spill.signers():
                yield subject.partition(":")[2], signers

    @property
    def parked(self) -> list[Parked]:
        """Return the events still waiting for the roster, in the order parked."""
        return self.intake.still_parked()

    def versions(self) -> Iterator[tuple[str, int]]:
        """Yield the latest activity version applied per subject (and per own mark)."""
        yield from self.intake.s.versions.items()
        if self.spill is not None:
            yield from self.spill.versions()

    def hours(self) -> Iterator[tuple[str, Decimal]]:
        """Yield the duration of each activity's last record."""
        yield from self.intake.s.hours.items()
        if self.spill is not None:
            for subject, hours in self.spill.hours():
                yield subject.partition(":")[2], Decimal(hours)


def _text(hours: Decimal | None) -> str | None:
    return None if hours is None else str(hours)
