"""Deadline clocks: reply, complex, re-handling, opinion, assignment, return, extension limit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import MappingProxyType

import pytest
from cases_harness import clocks
from hypothesis import given, strategies as st

from cases.domain.clocks import (
    ClockPolicy,
    Clocks,
    Span,
    SpanUnit,
    add_months,
    days,
    handling_clock,
    months,
    workdays,
)
from cases.domain.workdays import WorkCalendar
from contracts.vocabulary import CaseKind, Clock
from kit.clock import china_day


@pytest.mark.parametrize(
    ("start", "n", "end"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 11, 15), 3, date(2026, 2, 15)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2025, 12, 31), 12, date(2026, 12, 31)),
    ],
)
def test_adding_months_clamps_to_the_end_of_the_month(start: date, n: int, end: date) -> None:
    assert add_months(start, n) == end


@pytest.mark.parametrize(
    ("clock", "start", "due"),
    [
        (Clock.suggestion, date(2025, 3, 3), date(2025, 6, 3)),  # plain 3 months
        (Clock.suggestion, date(2025, 7, 1), date(2025, 10, 9)),  # lands in Golden Week
        (Clock.suggestion, date(2025, 11, 15), date(2026, 2, 24)),  # Spring Festival, next year
        (Clock.complex_suggestion, date(2025, 4, 1), date(2025, 10, 9)),  # 6 months
        (Clock.rehandling, date(2025, 9, 30), date(2025, 10, 30)),  # 1 month
        (Clock.rehandling, date(2025, 8, 31), date(2025, 9, 30)),  # clamped month end
        (Clock.opinion, date(2025, 3, 3), date(2025, 4, 2)),  # 30 calendar days by default
        (Clock.opinion, date(2025, 3, 8), date(2025, 4, 7)),  # 7 Apr 2025 is a working day
    ],
)
def test_default_due_dates(clock: Clock, start: date, due: date) -> None:
    assert clocks().due_on(clock, start) == due


def test_a_township_configures_its_opinion_clock_and_categories_override() -> None:
    policy = ClockPolicy(
        opinion=workdays(10),
        by_category=MappingProxyType({(Clock.opinion, "安全"): days(3)}),
    )
    c = Clocks(WorkCalendar(), policy)
    assert c.due_on(Clock.opinion, date(2025, 9, 26)) == date(2025, 10, 16)
    assert c.due_on(Clock.opinion, date(2025, 9, 26), "安全") == date(2025, 9, 29)
    assert c.due_on(Clock.opinion, date(2025, 9, 26), "交通") == date(2025, 10, 16)
    assert c.due_on(Clock.suggestion, date(2025, 3, 3), "安全") == date(2025, 6, 3)


def test_assignment_and_return_windows_are_seven_working_days() -> None:
    c = clocks()
    assert c.assign_by(date(2026, 2, 12)) == date(2026, 2, 28)  # across Spring Festival
    assert c.return_by(date(2025, 9, 26)) == date(2025, 10, 13)  # across National Day


@pytest.mark.parametrize(
    ("due", "limit"),
    [
        (date(2025, 6, 3), date(2025, 9, 3)),
        (date(2025, 7, 1), date(2025, 9, 30)),  # 1 Oct is a holiday: the limit moves earlier
        (date(2025, 11, 17), date(2026, 2, 14)),  # 17 Feb is Spring Festival; 14 Feb is 调休
    ],
)
def test_the_extension_limit_never_exceeds_three_months(due: date, limit: date) -> None:
    assert clocks().extension_limit(due) == limit


def test_the_extension_limit_in_other_units() -> None:
    cal = WorkCalendar()
    assert Clocks(cal, ClockPolicy(extension_limit=workdays(2))).extension_limit(
        date(2025, 9, 30)
    ) == date(2025, 10, 10)
    assert Clocks(cal, ClockPolicy(extension_limit=days(3))).extension_limit(
        date(2025, 9, 29)
    ) == date(2025, 9, 30)


def test_which_clock_runs() -> None:
    assert handling_clock(CaseKind.suggestion) is Clock.suggestion
    assert handling_clock(CaseKind.suggestion, complex_=True) is Clock.complex_suggestion
    assert handling_clock(CaseKind.opinion, complex_=True) is Clock.opinion
    assert handling_clock(CaseKind.opinion, rehandling=True) is Clock.rehandling


def test_days_are_counted_in_china() -> None:
    assert china_day(datetime(2025, 9, 30, 16, 30, tzinfo=UTC)) == date(2025, 10, 1)
    assert china_day(datetime(2025, 9, 30, 15, 59, tzinfo=UTC)) == date(2025, 9, 30)
    with pytest.raises(ValueError, match="aware"):
        china_day(datetime(2025, 9, 30, 12))


def test_spans_are_not_negative() -> None:
    assert months(2) == Span(2, SpanUnit.months)
    with pytest.raises(ValueError, match="negative"):
        Span(-1, SpanUnit.days)


SPANS = st.builds(
    Span, st.integers(0, 12), st.sampled_from([SpanUnit.months, SpanUnit.days, SpanUnit.workdays])
)
STARTS = st.dates(date(2004, 1, 1), date(2030, 12, 31))


@given(start=STARTS, clock=st.sampled_from(Clock), span=SPANS)
def test_due_dates_always_fall_on_working_days_and_never_early(
    start: date, clock: Clock, span: Span
) -> None:
    c = Clocks(WorkCalendar(), ClockPolicy(by_category=MappingProxyType({(clock, "x"): span})))
    due = c.due_on(clock, start, "x")
    assert c.calendar.is_workday(due) or (span.amount == 0 and span.unit is SpanUnit.workdays)
    assert due >= start
    if span.unit is SpanUnit.months:
        assert due >= add_months(start, span.amount)


@given(due=STARTS)
def test_extension_limits_fall_on_working_days_within_three_months(due: date) -> None:
    c = clocks()
    limit = c.extension_limit(due)
    assert c.calendar.is_workday(limit)
    assert due < limit <= add_months(due, 3)


def test_category_clocks_come_from_settings() -> None:
    from cases.domain.clocks import parse_overrides

    overrides = parse_overrides({"suggestion:城乡建设": "4 months", "opinion:民生": "15 workdays"})
    policy = ClockPolicy(by_category=overrides)
    assert policy.span(Clock.suggestion, "城乡建设") == Span(4, SpanUnit.months)
    assert policy.span(Clock.suggestion, "交通") == Span(3, SpanUnit.months)
    assert policy.span(Clock.opinion, "民生") == Span(15, SpanUnit.workdays)
    for bad in (
        {"suggestion": "4 months"},
        {"suggestion:交通": "four months"},
        {"x:交通": "1 days"},
    ):
        with pytest.raises(ValueError, match="clock override"):
            parse_overrides(bad)
