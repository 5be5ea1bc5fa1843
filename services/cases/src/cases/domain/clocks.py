"""Deadline clocks per kind and category: reply, re-handling, return window, assignment, extension.

A due date that lands on a non-working day moves to the next working day, as statutory periods do
(民事诉讼法 Art. 85: a period ending on a holiday ends on the first day after it).
"""

from __future__ import annotations

import calendar as gregorian
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType

from cases.domain.workdays import WorkCalendar
from contracts.vocabulary import CaseKind, Clock


def add_months(day: date, months: int) -> date:
    """Add calendar months, clamping to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = gregorian.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


class SpanUnit(StrEnum):
    """How a clock's length is counted."""

    months = "months"
    days = "days"
    workdays = "workdays"


@dataclass(frozen=True)
class Span:
    """A clock length such as 3 months or 7 working days."""

    amount: int
    unit: SpanUnit

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError("a clock length must not be negative")


def months(amount: int) -> Span:
    """Return a span of calendar months."""
    return Span(amount, SpanUnit.months)


def days(amount: int) -> Span:
    """Return a span of calendar days."""
    return Span(amount, SpanUnit.days)


def workdays(amount: int) -> Span:
    """Return a span of working days."""
    return Span(amount, SpanUnit.workdays)


def _no_overrides() -> Mapping[tuple[Clock, str], Span]:
    return MappingProxyType({})


def _outer_limits() -> Mapping[Clock, Span]:
    return MappingProxyType(
        {
            Clock.suggestion: Span(6, SpanUnit.months),  # 代表法 Art. 51: six months at most
            Clock.complex_suggestion: Span(6, SpanUnit.months),
            Clock.rehandling: Span(3, SpanUnit.months),  # never longer than a first reply term
        }
    )


@dataclass(frozen=True)
class ClockPolicy:
    """Configurable clock lengths; defaults follow 代表法 Art. 51 and the Shanghai rules (domain §4.1)."""

    suggestion: Span = Span(3, SpanUnit.months)
    complex_suggestion: Span = Span(6, SpanUnit.months)
    rehandling: Span = Span(1, SpanUnit.months)
    opinion: Span = Span(30, SpanUnit.days)  # no statute: each township configures its own
    return_window: Span = Span(7, SpanUnit.workdays)
    assign_window: Span = Span(7, SpanUnit.workdays)
    extension_limit: Span = Span(3, SpanUnit.months)
    by_category: Mapping[tuple[Clock, str], Span] = field(default_factory=_no_overrides)
    outer_limit: Mapping[Clock, Span] = field(default_factory=_outer_limits)

    def span(self, clock: Clock, category: str = "") -> Span:
        """Return the length of a handling clock, a category override first."""
        override = self.by_category.get((clock, category))
        if override is not None:
            return override
        return {
            Clock.suggestion: self.suggestion,
            Clock.complex_suggestion: self.complex_suggestion,
            Clock.rehandling: self.rehandling,
            Clock.opinion: self.opinion,
        }[clock]


def handling_clock(kind: CaseKind, *, complex_: bool = False, rehandling: bool = False) -> Clock:
    """Choose the clock a case runs on."""
    if rehandling:
        return Clock.rehandling
    if kind is CaseKind.opinion:
        return Clock.opinion
    return Clock.complex_suggestion if complex_ else Clock.suggestion


@dataclass(frozen=True)
class Clocks:
    """A clock policy applied on a working-day calendar."""

    calendar: WorkCalendar
    policy: ClockPolicy = field(default_factory=ClockPolicy)

    def after(self, start: date, span: Span) -> date:
        """Return the end of ``span`` counted from ``start``, moved onto a working day."""
        if span.unit is SpanUnit.workdays:
            return self.calendar.add(start, span.amount)
        if span.unit is SpanUnit.months:
            end = add_months(start, span.amount)
        else:
            end = start + timedelta(days=span.amount)
        return self.calendar.on_or_after(end)

    def due_on(self, clock: Clock, start: date, category: str = "") -> date:
        """Return the due date of a handling clock started on ``start``."""
        return self.after(start, self.policy.span(clock, category))

    def assign_by(self, received_on: date) -> date:
        """Return the last day to assign (交办) an item received on ``received_on``."""
        return self.after(received_on, self.policy.assign_window)

    def return_by(self, assigned_on: date) -> date:
        """Return the last day a unit may ask to return (退办) a case assigned on ``assigned_on``."""
        return self.after(assigned_on, self.policy.return_window)

    def extension_limit(
        self, due_on: date, clock: Clock | None = None, start: date | None = None
    ) -> date:
        """Return the latest due date an extension may grant.

        Never beyond the extension limit counted from the due date, nor beyond the outer limit
        of the clock's kind counted from its start (代表法 Art. 51: a suggestion is answered
        within six months of assignment, whatever was extended).
        """
        limit = self._before(due_on, self.policy.extension_limit)
        outer = self.outer_limit(clock, start) if clock and start else None
        return limit if outer is None else max(due_on, min(limit, outer))

    def outer_limit(self, clock: Clock, start: date) -> date | None:
        """Return the latest a reply on ``clock`` started on ``start`` may be due, if bounded.

        Counted like a due date: a limit on a holiday ends on the next working day.
        """
        outer = self.policy.outer_limit.get(clock)
        return None if outer is None else self.after(start, outer)

    def _before(self, start: date, span: Span) -> date:
        if span.unit is SpanUnit.workdays:
            return self.calendar.add(start, span.amount)
        if span.unit is SpanUnit.months:
            return self.calendar.on_or_before(add_months(start, span.amount))
        return self.calendar.on_or_before(start + timedelta(days=span.amount))


def parse_span(length: str) -> Span:
    """Read a clock length such as ``"3 months"``, ``"30 days"`` or ``"7 workdays"``."""
    amount, _, unit = length.strip().partition(" ")
    try:
        return Span(int(amount), SpanUnit(unit.strip()))
    except ValueError:
        raise ValueError(f"{length!r} is not '<n> months|days|workdays'") from None


def parse_overrides(values: Mapping[str, str]) -> Mapping[tuple[Clock, str], Span]:
    """Read per-category clock lengths such as ``{"suggestion:交通": "4 months"}``."""
    found: dict[tuple[Clock, str], Span] = {}
    for key, length in values.items():
        clock, sep, category = key.partition(":")
        amount, _, unit = length.strip().partition(" ")
        try:
            span = Span(int(amount), SpanUnit(unit.strip()))
            found[(Clock(clock.strip()), category.strip())] = span
        except ValueError:
            raise ValueError(
                f"clock override {key!r}: {length!r} is not '<clock>:<category>' = "
                "'<n> months|days|workdays'"
            ) from None
        if not sep or not category.strip():
            raise ValueError(f"clock override {key!r} names no category")
    return MappingProxyType(found)
