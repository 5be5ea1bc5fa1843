"""Read each assessment metric off a township's book for a year, with the evidence behind it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from contracts.vocabulary import ActivityType, CaseKind, DeputyStatus, Level
from scoring.domain.assessment_rules import Metric, Publicity
from scoring.domain.books import Books, TownshipBook
from scoring.domain.facts import ActivityHeld, AssignmentOverdue, Presence

_WORK = frozenset(ActivityType) - {
    ActivityType.training,
    ActivityType.congress_session,
    ActivityType.reception_day,
}
_ATTENDED = (Presence.present, Presence.partial)


@dataclass(frozen=True)
class Reading:
    """A metric's value (None: a rate with nothing to divide) and what it was read from."""

    value: Decimal | None
    evidence: tuple[str, ...]


def _count(items: list[str]) -> Reading:
    return Reading(Decimal(len(items)), tuple(items))


def _rate(hits: list[str], of: list[str]) -> Reading:
    if not of:
        return Reading(None, ())
    share = (Decimal(len(hits)) / Decimal(len(of))).quantize(Decimal("0.0001"))
    return Reading(share, tuple(hits))


def _activities(
    book: TownshipBook, year: int, kinds: frozenset[ActivityType]
) -> list[ActivityHeld]:
    return [
        a
        for _, a in sorted(book.activities.items())
        if a.held_on.year == year and a.activity_type in kinds
    ]


def trained(books: Books, year: int) -> set[str]:
    """Return the deputies present at a training in the year, whoever organised it."""
    return {
        deputy_id
        for book in books.townships.values()
        for a in _activities(book, year, frozenset({ActivityType.training}))
        for deputy_id, presence in a.attendance
        if presence in _ATTENDED
    }


def manuscript_points(book: TownshipBook, year: int, publicity: Publicity) -> Reading:
    """Sum each manuscript's best (level, placement) in the year: a piece counts once."""
    total, evidence = Decimal(0), []
    for manuscript_id, published in sorted(book.manuscripts.items()):
        scored = [
            (publicity.points.get(p.outlet_level, {}).get(p.placement, Decimal(0)), p)
            for p in published
            if p.published_on.year == year
        ]
        if not scored:
            continue
        points, best = max(scored, key=lambda pair: pair[0])
        total += points
        evidence.append(
            f"{manuscript_id}: {best.outlet_level.value}/{best.placement.value} {points}"
        )
    return Reading(total, tuple(evidence))


@dataclass(frozen=True)
class Item:
    """A case or opinion as the on-time and 办成 rates count it: once, in its first due year."""

    case_id: str
    kind: CaseKind | None
    due_on: date
    late: bool
    solved: bool


def item_of(book: TownshipBook, case_id: str, as_of: date) -> Item | None:
    """Return how a case counts as of a day, or None while nothing of it is due yet.

    Its year is the year its first reply was due (答复, 代表法 Art. 51: three months from 交办). It
    is late once a round's reply came late, or a round's overdue notice stands unanswered with
    its due date (as a holiday arrangement moved it since) before ``as_of``; a closure is not
    needed. It is solved while its last closure says so (a reopening takes that back).
    """
    answers = book.answers.get(case_id, {})
    notice = book.overdue.get(case_id)
    unanswered = (
        notice is not None
        and notice.round > max(answers, default=0)
        and case_id not in book.closed
        and notice.due_on < as_of
    )
    if answers:
        first = answers[min(answers)]
        due = first.due_on or first.replied_on
    elif unanswered and notice is not None:
        due = notice.due_on
    else:
        return None
    late = unanswered or any(not a.on_time for a in answers.values())
    closure = book.closed.get(case_id)
    solved = closure is not None and closure.solved
    return Item(case_id, book.kinds.get(case_id), due, late, solved)


@dataclass(frozen=True)
class Year:
    """A township's year as the metrics see it, as of a day (what is overdue depends on it)."""

    book: TownshipBook
    year: int
    trained_ids: frozenset[str]
    publicity: Publicity
    as_of: date

    def activities(self, *kinds: ActivityType) -> list[ActivityHeld]:
        """Return the year's live activities of these kinds (every kind when none given)."""
        return _activities(self.book, self.year, frozenset(kinds or ActivityType))

    def active(self) -> list[str]:
        """Return the deputies the roster holds as active."""
        return sorted(d for d, r in self.book.deputies.items() if r.status is DeputyStatus.active)

    def items(self, *kinds: CaseKind) -> list[Item]:
        """Return the cases (of these kinds; every kind when none given) first due in the year.

        A case whose kind was never read (facts stored before assignments were) counts only
        when no kind is asked for.
        """
        return [x for x in self._items if not kinds or x.kind in kinds]

    @cached_property
    def _items(self) -> list[Item]:
        ids = sorted({*self.book.answers, *self.book.overdue})
        found = (item_of(self.book, case_id, self.as_of) for case_id in ids)
        return [x for x in found if x is not None and x.due_on.year == self.year]

    def assignments_late(self) -> list[AssignmentOverdue]:
        """Return the items assigned late whose deadline (as moved since) fell in the year."""
        return [
            a
            for _, a in sorted(self.book.assignment_late.items())
            if a.assign_by.year == self.year and a.assign_by < self.as_of
        ]


def _on_time(items: list[Item]) -> Reading:
    return _rate([x.case_id for x in items if not x.late], [x.case_id for x in items])


def _ids(facts: Iterable[Any]) -> list[str]:
    return [str(x.source.event_id) for x in facts]


def _roster_verified(y: Year) -> Reading:
    found = _ids(v for v in y.book.roster_verified if v.verified_on.year == y.year)
    return Reading(Decimal(1 if found else 0), tuple(found))


def _stale(y: Year, *, stations: bool) -> Reading:
    return _count(
        _ids(
            s
            for s in y.book.stale
            if (s.station_id is not None) == stations and s.stale_since.year == y.year
        )
    )


def _sessions(y: Year) -> Reading:
    held = y.activities(ActivityType.congress_session)
    return _count([a.activity_id for a in held if Level.township in a.levels])


def _topics(y: Year) -> Reading:
    topics = [t for _, t in sorted(y.book.topics.items()) if t.closed_on.year == y.year]
    return _count([t.topic_id for t in topics if t.rectified and t.vote_passed])


READERS: dict[Metric, Callable[[Year], Reading]] = {
    Metric.roster_verified: _roster_verified,
    Metric.roster_stale_periods: lambda y: _stale(y, stations=False),
    Metric.station_stale_periods: lambda y: _stale(y, stations=True),
    Metric.congress_sessions: _sessions,
    Metric.activities: lambda y: _count([a.activity_id for a in y.activities(*_WORK)]),
    Metric.joint_activities: lambda y: _count(
        [a.activity_id for a in y.activities() if len(a.levels) > 1]
    ),
    Metric.training_coverage: lambda y: _rate(
        [d for d in y.active() if d in y.trained_ids], y.active()
    ),
    Metric.reception_days: lambda y: _count(
        [a.activity_id for a in y.activities(ActivityType.reception_day)]
    ),
    Metric.opinions_on_time_rate: lambda y: _on_time(y.items(CaseKind.opinion)),
    Metric.cases_on_time_rate: lambda y: _on_time(y.items()),
    Metric.solved_rate: lambda y: _rate(
        [x.case_id for x in y.items() if x.solved], [x.case_id for x in y.items()]
    ),
    Metric.assignments_overdue: lambda y: _count([a.case_id for a in y.assignments_late()]),
    Metric.topics_closed_passing: _topics,
    Metric.highlights: lambda y: _count(
        [h.highlight_id for _, h in sorted(y.book.highlights.items()) if h.year == y.year]
    ),
    Metric.manuscripts_submitted: lambda y: _count(
        [m for m, x in sorted(y.book.submitted.items()) if x.submitted_on.year == y.year]
    ),
    Metric.manuscript_points: lambda y: manuscript_points(y.book, y.year, y.publicity),
}
"""How each metric is read; every metric has a reader (a test checks it)."""
