"""The township books: what the assessment counts, folded from the facts of every year.

Activities keep their latest version and disappear when cancelled; the roster keeps each deputy's
latest record; a case keeps the first reply of each handling round, its last closure (none while
reopened (重新办理) until closed again) and its latest overdue notice, unanswered until a reply of
that round; an item keeps the notice of its late assignment (交办); a deadline a holiday
arrangement moved later moves the notice sent on it. A manuscript keeps every publication (the
measure picks its best). A deputy's own later mark replaces the activity's mark for that deputy; a
correction replaces a highlight or a manuscript's record, a withdrawal removes it for good.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from uuid import UUID

from contracts.vocabulary import CaseKind, TownshipKind
from scoring.domain import facts as f


@dataclass
class TownshipBook:
    """One township's record for the assessment."""

    township: str
    county: str
    kind: TownshipKind = TownshipKind.town
    roster_verified: list[f.RosterVerified] = field(default_factory=list)
    stale: list[f.Stale] = field(default_factory=list)
    activities: dict[str, f.ActivityHeld] = field(default_factory=dict)
    deputies: dict[str, f.DeputyOnRoster] = field(default_factory=dict)
    answers: dict[str, dict[int, f.CaseReplied]] = field(default_factory=dict)
    """Each case's first reply of every handling round (a round is answered once)."""
    closed: dict[str, f.CaseClosed] = field(default_factory=dict)
    kinds: dict[str, CaseKind] = field(default_factory=dict)
    overdue: dict[str, f.CaseOverdue] = field(default_factory=dict)
    """Each case's latest overdue notice (one per round), its due date as moved since."""
    assignment_late: dict[str, f.AssignmentOverdue] = field(default_factory=dict)
    """Each item the office was late to assign (交办), its deadline as moved since."""

    topics: dict[str, f.TopicClosed] = field(default_factory=dict)
    highlights: dict[str, f.HighlightReported] = field(default_factory=dict)
    submitted: dict[str, f.ManuscriptSubmitted] = field(default_factory=dict)
    manuscripts: dict[str, list[f.ManuscriptPublished]] = field(default_factory=dict)


@dataclass
class Books:
    """Every township's book; ``where`` tells which book holds a deputy or an activity."""

    townships: dict[str, TownshipBook] = field(default_factory=dict)
    seen: set[UUID] = field(default_factory=set)
    versions: dict[str, int] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)
    marks: dict[str, dict[str, tuple[int, f.Presence | None]]] = field(default_factory=dict)
    withdrawn: set[str] = field(default_factory=set)

    def book(self, township: str) -> TownshipBook:
        """Return a township's book, opening it when first seen."""
        if township not in self.townships:
            self.townships[township] = TownshipBook(township, township[:6])
        return self.townships[township]

    def apply(self, fact: f.Fact) -> None:
        """Fold one fact in (a fact seen before changes nothing)."""
        if fact.source.event_id in self.seen:
            return
        self.seen.add(fact.source.event_id)
        book = self.book(fact.township)
        if isinstance(fact, f.TownshipKnown):
            book.county, book.kind = fact.county, fact.kind
        elif isinstance(fact, f.DeputyOnRoster):
            self._deputy(fact)
        elif isinstance(fact, f.StatusCorrected):
            self._status(fact)
        elif isinstance(fact, f.ActivityHeld | f.ActivityCancelled):
            self._activity(fact)
        elif isinstance(fact, f.AttendanceMarked):
            self._mark(fact)
        elif isinstance(fact, f.RosterVerified):
            book.roster_verified.append(fact)
        elif isinstance(fact, f.Stale):
            book.stale.append(fact)
        elif isinstance(fact, f.CaseReplied):
            book.answers.setdefault(fact.case_id, {}).setdefault(fact.round, fact)
            book.kinds[fact.case_id] = fact.kind
        elif isinstance(fact, f.CaseClosed):
            book.closed[fact.case_id] = fact
            book.kinds[fact.case_id] = fact.kind
        elif isinstance(fact, f.CaseAssigned):
            book.kinds[fact.case_id] = fact.kind
        elif isinstance(fact, f.CaseReopened):
            book.closed.pop(fact.case_id, None)  # not closed, solved or on time until closed again
        elif isinstance(fact, f.CaseOverdue):
            known = book.overdue.get(fact.case_id)
            if known is None or known.round <= fact.round:
                book.overdue[fact.case_id] = fact
        elif isinstance(fact, f.AssignmentOverdue):
            book.assignment_late.setdefault(fact.case_id, fact)
        elif isinstance(fact, f.DueDateMoved):
            self._moved(book, fact)
        elif isinstance(fact, f.TopicClosed):
            book.topics[fact.topic_id] = fact
        elif isinstance(fact, f.HighlightReported | f.HighlightWithdrawn):
            self._highlight(fact)
        elif isinstance(fact, f.ManuscriptCorrected | f.ManuscriptWithdrawn):
            self._manuscript(fact)
        elif isinstance(fact, f.ManuscriptSubmitted | f.ManuscriptPublished):
            if f"manuscript:{fact.manuscript_id}" in self.withdrawn:
                return
            if isinstance(fact, f.ManuscriptSubmitted):
                book.submitted[fact.manuscript_id] = fact
            else:
                book.manuscripts.setdefault(fact.manuscript_id, []).append(fact)

    @staticmethod
    def _moved(book: TownshipBook, fact: f.DueDateMoved) -> None:
        """Move the deadline an overdue notice was sent on: a later day may make it premature."""
        if fact.assignment:
            late = book.assignment_late.get(fact.case_id)
            if late is not None and late.assign_by == fact.previous_due_on:
                book.assignment_late[fact.case_id] = replace(late, assign_by=fact.due_on)
            return
        notice = book.overdue.get(fact.case_id)
        if notice is not None and notice.due_on == fact.previous_due_on:
            book.overdue[fact.case_id] = replace(notice, due_on=fact.due_on)

    def _deputy(self, fact: f.DeputyOnRoster) -> None:
        key = f"deputy:{fact.deputy_id}"
        if fact.version <= self.versions.get(key, 0):
            return
        self.versions[key] = fact.version
        previous = self.where.get(key)
        if previous is not None and previous != fact.township:
            self.townships[previous].deputies.pop(fact.deputy_id, None)
        self.where[key] = fact.township
        self.book(fact.township).deputies[fact.deputy_id] = fact

    def _status(self, fact: f.StatusCorrected) -> None:
        key = f"deputy:{fact.deputy_id}"
        township = self.where.get(key)
        if township is None or fact.version <= self.versions.get(key, 0):
            return
        self.versions[key] = fact.version
        deputies = self.townships[township].deputies
        deputies[fact.deputy_id] = replace(
            deputies[fact.deputy_id], status=fact.status, version=fact.version
        )

    def _mark(self, fact: f.AttendanceMarked) -> None:
        key = f"activity:{fact.activity_id}"
        marks = self.marks.setdefault(fact.activity_id, {})
        known = max(self.versions.get(key, 0), marks.get(fact.deputy_id, (0, None))[0])
        if fact.version <= known:
            return
        marks[fact.deputy_id] = (fact.version, fact.presence)
        township = self.where.get(key)
        if township is not None:
            activities = self.townships[township].activities
            activities[fact.activity_id] = self._merged(activities[fact.activity_id])

    def _merged(self, fact: f.ActivityHeld) -> f.ActivityHeld:
        """Return the activity with every deputy's own mark newer than its version."""
        later = {
            d: presence
            for d, (v, presence) in self.marks.get(fact.activity_id, {}).items()
            if v > fact.version
        }
        if not later:
            return fact
        merged: dict[str, f.Presence | None] = {**dict(fact.attendance), **later}
        kept = tuple((d, p) for d, p in merged.items() if p is not None)  # None: a removed mark
        return replace(fact, attendance=kept)

    def _highlight(self, fact: f.HighlightReported | f.HighlightWithdrawn) -> None:
        key = f"highlight:{fact.highlight_id}"
        if key in self.withdrawn or fact.version <= self.versions.get(key, 0):
            return
        self.versions[key] = fact.version
        previous = self.where.pop(key, None)
        if previous is not None:
            self.townships[previous].highlights.pop(fact.highlight_id, None)
        if isinstance(fact, f.HighlightWithdrawn):
            self.withdrawn.add(key)
            return
        self.where[key] = fact.township
        self.book(fact.township).highlights[fact.highlight_id] = fact

    def _manuscript(self, fact: f.ManuscriptCorrected | f.ManuscriptWithdrawn) -> None:
        key = f"manuscript:{fact.manuscript_id}"
        if key in self.withdrawn or fact.version <= self.versions.get(key, 0):
            return
        self.versions[key] = fact.version
        for book in self.townships.values():
            book.submitted.pop(fact.manuscript_id, None)
            book.manuscripts.pop(fact.manuscript_id, None)
        if isinstance(fact, f.ManuscriptWithdrawn):
            self.withdrawn.add(key)
            return
        book = self.book(fact.township)
        book.submitted[fact.manuscript_id] = f.ManuscriptSubmitted(
            fact.source, fact.manuscript_id, fact.township, fact.submitted_on
        )
        if fact.publication is not None:
            book.manuscripts[fact.manuscript_id] = [fact.publication]

    def _activity(self, fact: f.ActivityHeld | f.ActivityCancelled) -> None:
        key = f"activity:{fact.activity_id}"
        if fact.version <= self.versions.get(key, 0):
            return
        self.versions[key] = fact.version
        previous = self.where.pop(key, None)
        if previous is not None:
            self.townships[previous].activities.pop(fact.activity_id, None)
        if isinstance(fact, f.ActivityHeld):
            self.where[key] = fact.township
            self.book(fact.township).activities[fact.activity_id] = self._merged(fact)


def books_of(facts: Iterable[f.Fact]) -> Books:
    """Return the books the facts give."""
    books = Books()
    for fact in facts:
        books.apply(fact)
    return books
