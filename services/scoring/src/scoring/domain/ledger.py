"""Derive the ledger from facts under one rule set: awards, caps in event order, reversals.

A correction or cancellation reverses every live entry of the activity with compensating entries
(never an edit) before the corrected record earns again. Caps hold per deputy, rule and year, and
are applied in the order the facts arrive, so the same facts in the same order give the same
ledger. Quality markers count once per case and deputy; a reopened case reverses its class-A reply
and 满意 markers (the new round earns them again). An event seen before, or an activity
version older than one applied, changes nothing. A deputy's mark recorded or corrected on its own
carries the activity's version too: per (activity, deputy) the mark of the latest version counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Any
from uuid import UUID

from contracts.vocabulary import ActivityType, CaseKind, Level, ReplyClass, Satisfaction
from scoring.domain import clauses as cl, facts as f
from scoring.domain.entries import Entry, award_id, live, reversal_id
from scoring.domain.periods import period_of
from scoring.domain.rules import Award, Per, RuleSet


@dataclass
class LedgerState:
    """What derivation remembers between facts (a consumer persists it beside the entries)."""

    seen: set[UUID] = field(default_factory=set)
    versions: dict[str, int] = field(default_factory=dict)
    live: dict[str, list[Entry]] = field(default_factory=dict)
    sums: dict[tuple[str, int, str], Decimal] = field(default_factory=dict)
    signers: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    hours: dict[str, Decimal] = field(default_factory=dict)
    marks: dict[str, set[str]] = field(default_factory=dict)
    """The deputies with an own mark per activity subject (an index of ``versions``' mark keys)."""

    def __post_init__(self) -> None:
        """Index the own marks' versions (``activity:<id>/<deputy>`` keys) by subject."""
        for key in self.versions:
            subject, slash, deputy_id = key.partition("/")
            if slash:
                self.marks.setdefault(subject, set()).add(deputy_id)

    @classmethod
    def restore(
        cls,
        entries: Iterable[Entry],
        *,
        seen: set[UUID],
        versions: dict[str, int],
        signers: dict[str, tuple[str, tuple[str, ...]]],
        hours: dict[str, Decimal] | None = None,
    ) -> LedgerState:
        """Rebuild the state from stored entries plus what entries cannot tell (ids, versions, …)."""
        written = list(entries)
        state = cls(
            seen=set(seen), versions=dict(versions), signers=dict(signers), hours=dict(hours or {})
        )
        for e in live(written):
            state.live.setdefault(e.subject, []).append(e)
        for e in written:
            key = (e.deputy_id, e.year, e.rule_id)
            state.sums[key] = state.sums.get(key, Decimal(0)) + e.points
        return state


ActivityKey = tuple[ActivityType, f.Presence, frozenset[Level], Decimal]
_ZERO = Decimal(0)
_UNKNOWN: Any = object()
"""A memo's miss (None is a value remembered)."""

_CLAUSES: dict[int, tuple[RuleSet, dict[str, cl.Clause]]] = {}
"""The clauses of the rule sets seen, by identity (a consumer builds a ledger per rule set and
batch from the same parsed rule set: its clauses are made once, not per batch)."""


def clauses_of(rules: RuleSet) -> dict[str, cl.Clause]:
    """Return ``clauses(rules)``, made once per rule set object (a bounded memo)."""
    found = _CLAUSES.get(id(rules))
    if found is not None and found[0] is rules:
        return found[1]
    if len(_CLAUSES) >= 64:
        _CLAUSES.clear()
    made = cl.clauses(rules)
    _CLAUSES[id(rules)] = (rules, made)
    return made


class Ledger:
    """Applies facts one at a time under a rule set and returns the entries each one writes."""

    def __init__(self, rules: RuleSet, state: LedgerState | None = None) -> None:
        self.rules = rules
        self.state = state or LedgerState()
        self._clauses = clauses_of(rules)
        self._source_id = ""
        """The text of the id of the fact being applied (formatted once, not per entry)."""
        self._periods: dict[date, str] = {}
        """The publication period of each day seen (a year's days at most)."""
        self._awards: dict[ActivityKey, tuple[str, Decimal] | None] = {}
        """The rule and points of each (type, presence, levels, duration) seen (pure in them)."""

    def apply(self, fact: f.Fact, source_id: str | None = None) -> list[Entry]:
        """Return the entries a fact writes (none for a fact seen before or not about points).

        ``source_id``: the text of the fact's event id when the caller formatted it already (a
        fact applied to every ledger of its county is formatted once)."""
        if fact.source.event_id in self.state.seen:
            return []
        self.state.seen.add(fact.source.event_id)
        self._source_id = str(fact.source.event_id) if source_id is None else source_id
        if isinstance(fact, f.ActivityHeld):
            return self._activity(fact)
        if isinstance(fact, f.AttendanceMarked):
            return self._mark(fact)
        if isinstance(fact, f.ActivityCancelled):
            return self._cancel(fact)
        if isinstance(fact, f.SuggestionFiled):
            return self._suggestion(fact)
        if isinstance(fact, f.CaseReplied):
            if fact.reply_class is ReplyClass.A and fact.kind is CaseKind.suggestion:
                pair = (cl.REPLY_A_LEAD, cl.REPLY_A_CO)
                return self._signers(fact.case_id, fact, fact.replied_on, pair, once=True)
            return []
        if isinstance(fact, f.KeyChaseDesignated):
            pair = (cl.KEY_CHASE_LEAD, cl.KEY_CHASE_CO)
            return self._signers(fact.case_id, fact, fact.designated_on, pair, once=True)
        if isinstance(fact, f.CaseAssigned):
            if not fact.key_chase:
                return []
            pair = (cl.KEY_CHASE_LEAD, cl.KEY_CHASE_CO)
            return self._signers(fact.case_id, fact, fact.assigned_on, pair, once=True)
        if isinstance(fact, f.FeedbackGiven):
            return self._feedback(fact)
        if isinstance(fact, f.CaseReopened):
            if not self.rules.quality.reopen_reverses:
                return []
            return self._reverse_rules(f"case:{fact.case_id}", fact.source, _ROUND_MARKERS)
        return []

    # --- activities ------------------------------------------------------------------------

    def _activity(self, fact: f.ActivityHeld) -> list[Entry]:
        subject = f"activity:{fact.activity_id}"
        if not self._newer(subject, fact.version):
            return []
        self.state.hours[fact.activity_id] = fact.hours
        kept = self._later_marks(subject, fact.version)
        out = self._reverse(subject, fact.source, keep=kept)
        for deputy_id, presence in dict(fact.attendance).items():
            if deputy_id not in kept:
                out += self._award(fact, subject, deputy_id, presence, fact.hours)
        return out

    def _mark(self, fact: f.AttendanceMarked) -> list[Entry]:
        subject = f"activity:{fact.activity_id}"
        key = f"{subject}/{fact.deputy_id}"
        known = max(self.state.versions.get(subject, 0), self.state.versions.get(key, 0))
        if fact.version <= known:
            return []
        self.state.versions[key] = fact.version
        self.state.marks.setdefault(subject, set()).add(fact.deputy_id)
        others = {e.deputy_id for e in self.state.live.get(subject, ())} - {fact.deputy_id}
        out = self._reverse(subject, fact.source, keep=others)
        if fact.presence is None:  # a mistaken mark removed: what it earned is reversed, no more
            return out
        # The mark has no duration of its own: the activity's last record gives it (else one unit).
        hours = self.state.hours.get(fact.activity_id, Decimal(0))
        return out + self._award(fact, subject, fact.deputy_id, fact.presence, hours)

    def _award(
        self,
        fact: f.ActivityHeld | f.AttendanceMarked,
        subject: str,
        deputy_id: str,
        presence: f.Presence,
        hours: Decimal,
    ) -> list[Entry]:
        key = (fact.activity_type, presence, fact.levels, hours)
        found = self._awards.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            found = self._activity_points(fact.activity_type, presence, fact.levels, hours)
            if len(self._awards) >= 4096:  # types x states x level sets x durations: a few dozen
                self._awards.clear()
            self._awards[key] = found
        if found is None or not self._in_scope(fact.township, fact.held_on):
            return []
        rule_id, points = found
        return self._post(rule_id, deputy_id, points, fact, fact.held_on, subject)

    def _activity_points(
        self,
        activity_type: ActivityType,
        presence: f.Presence,
        levels: frozenset[Level],
        hours: Decimal,
    ) -> tuple[str, Decimal] | None:
        """Return the rule and points of a presence at an activity (None: the rules give none)."""
        rule = self.rules.activities.get(activity_type)
        if rule is None:
            return None
        award: Award | None = getattr(rule, presence.value)
        if award is None:
            return None
        points = award.points_for(levels) * self._units(award, hours)
        return cl.activity_rule_id(activity_type, presence.value), points

    def _later_marks(self, subject: str, version: int) -> set[str]:
        """Return the deputies whose own mark is newer than this version of the activity."""
        versions = self.state.versions
        return {
            deputy_id
            for deputy_id in self.state.marks.get(subject, ())
            if versions.get(f"{subject}/{deputy_id}", 0) > version
        }

    def _cancel(self, fact: f.ActivityCancelled) -> list[Entry]:
        subject = f"activity:{fact.activity_id}"
        if not self._newer(subject, fact.version):
            return []
        return self._reverse(subject, fact.source, keep=self._later_marks(subject, fact.version))

    def _newer(self, subject: str, version: int) -> bool:
        if version <= self.state.versions.get(subject, 0):
            return False
        self.state.versions[subject] = version
        return True

    def _units(self, award: Award, hours: Decimal) -> Decimal:
        if award.per is not Per.half_day:
            return Decimal(1)
        halves = (hours / self.rules.half_day_hours).to_integral_value(rounding=ROUND_CEILING)
        return max(Decimal(1), halves)

    # --- cases -----------------------------------------------------------------------------

    def _suggestion(self, fact: f.SuggestionFiled) -> list[Entry]:
        self.state.signers[fact.case_id] = (fact.lead, fact.co_signers)
        pair = (cl.SUGGESTION_LEAD, cl.SUGGESTION_CO)
        return self._signers(fact.case_id, fact, fact.filed_on, pair, once=False)

    def _signers(
        self, case_id: str, fact: f.Fact, day: date, pair: tuple[str, str], *, once: bool
    ) -> list[Entry]:
        found = self.state.signers.get(case_id)
        if found is None or not self._in_scope(fact.township, day):
            return []
        lead, co_signers = found
        subject = f"case:{case_id}"
        out = []
        for deputy_id, rule_id in [(lead, pair[0]), *((c, pair[1]) for c in co_signers)]:
            if once and self._given(subject, rule_id, deputy_id):
                continue
            points = self._points(rule_id)
            out += self._post(rule_id, deputy_id, points, fact, day, subject)
        return out

    def _feedback(self, fact: f.FeedbackGiven) -> list[Entry]:
        found = self.state.signers.get(fact.case_id)
        if found is None or fact.result is not Satisfaction.satisfied:
            return []
        if fact.deputy_id not in (found[0], *found[1]):
            return []
        if not self._in_scope(fact.township, fact.given_on):
            return []
        subject = f"case:{fact.case_id}"
        if self._given(subject, cl.SATISFIED, fact.deputy_id):
            return []
        points = self.rules.quality.satisfied_feedback
        return self._post(cl.SATISFIED, fact.deputy_id, points, fact, fact.given_on, subject)

    def _points(self, rule_id: str) -> Decimal:
        q = self.rules.quality
        return {
            cl.SUGGESTION_LEAD: self.rules.suggestion.lead,
            cl.SUGGESTION_CO: self.rules.suggestion.co_signer,
            cl.REPLY_A_LEAD: q.reply_class_a.lead,
            cl.REPLY_A_CO: q.reply_class_a.co_signer,
            cl.KEY_CHASE_LEAD: q.key_chase.lead,
            cl.KEY_CHASE_CO: q.key_chase.co_signer,
        }[rule_id]

    def _given(self, subject: str, rule_id: str, deputy_id: str) -> bool:
        return any(
            e.rule_id == rule_id and e.deputy_id == deputy_id
            for e in self.state.live.get(subject, ())
        )

    # --- writing ---------------------------------------------------------------------------

    def _in_scope(self, township: str, day: date) -> bool:
        return township.startswith(self.rules.county) and day.year == self.rules.year

    def _post(
        self, rule_id: str, deputy_id: str, points: Decimal, fact: f.Fact, day: date, subject: str
    ) -> list[Entry]:
        if points == 0:
            return []
        clause = self._clauses[rule_id]
        key = (deputy_id, day.year, rule_id)
        so_far = self.state.sums.get(key, _ZERO)
        allowed = _capped(points, so_far, clause.cap_per_year)
        period = self._periods.get(day)
        if period is None:
            period = self._periods[day] = period_of(day, self.rules.cadence.publication)
        entry = Entry(
            entry_id=award_id(rule_id, self._source_id, deputy_id),
            deputy_id=deputy_id,
            township=fact.township,
            year=day.year,
            period=period,
            occurred_on=day,
            rule_id=rule_id,
            rule_set_version=self.rules.version,
            category=clause.category,
            points=allowed,
            subject=subject,
            source_event_id=fact.source.event_id,
            source_event_type=fact.source.event_type,
            capped_from=points if allowed != points else None,
        )
        self.state.sums[key] = so_far + allowed
        self.state.live.setdefault(subject, []).append(entry)
        return [entry]

    def _reverse(
        self, subject: str, source: f.Source, keep: set[str] | frozenset[str] = frozenset()
    ) -> list[Entry]:
        """Reverse the subject's live entries but those of the deputies in ``keep``."""
        return self._reverse_where(subject, source, lambda e: e.deputy_id not in keep)

    def _reverse_rules(
        self, subject: str, source: f.Source, rule_ids: frozenset[str]
    ) -> list[Entry]:
        """Reverse the subject's live entries of these rules; its other entries stay live."""
        return self._reverse_where(subject, source, lambda e: e.rule_id in rule_ids)

    def _reverse_where(
        self, subject: str, source: f.Source, undone: Callable[[Entry], bool]
    ) -> list[Entry]:
        """Reverse the subject's live entries that ``undone`` names; the others stay live."""
        live_entries = self.state.live.pop(subject, [])
        kept = [e for e in live_entries if not undone(e)]
        if kept:
            self.state.live[subject] = kept
        return [self._undo(e, source) for e in live_entries if undone(e)]

    def _undo(self, e: Entry, source: f.Source) -> Entry:
        """Return the compensating entry of a live entry (its sum moves back)."""
        key = (e.deputy_id, e.year, e.rule_id)
        self.state.sums[key] = self.state.sums.get(key, _ZERO) - e.points
        return Entry(
            entry_id=reversal_id(e.entry_id, self._source_id),
            deputy_id=e.deputy_id,
            township=e.township,
            year=e.year,
            period=e.period,
            occurred_on=e.occurred_on,
            rule_id=e.rule_id,
            rule_set_version=self.rules.version,
            category=e.category,
            points=-e.points,
            subject=e.subject,
            source_event_id=source.event_id,
            source_event_type=source.event_type,
            compensates=e.entry_id,
        )


_ROUND_MARKERS = frozenset({cl.REPLY_A_LEAD, cl.REPLY_A_CO, cl.SATISFIED})
"""The quality markers of one handling round: a reopening takes them back (key-chase stays)."""


def _capped(points: Decimal, so_far: Decimal, cap: Decimal | None) -> Decimal:
    """Return how much of ``points`` fits under ``cap`` (in size) after ``so_far``."""
    if cap is None:
        return points
    if points >= 0:
        return max(Decimal(0), min(points, cap - so_far))
    return min(Decimal(0), max(points, -cap - so_far))


def derive(facts: Iterable[f.Fact], rules: RuleSet) -> list[Entry]:
    """Return the whole ledger the facts give under a rule set, in the order written."""
    ledger = Ledger(rules)
    return [entry for fact in facts for entry in ledger.apply(fact)]
