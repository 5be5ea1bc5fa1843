"""Working days on the official calendar: holidays, make-up days (调休), fallback years."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from cases.domain.workdays import WorkCalendar

COVERED = st.dates(date(2004, 1, 1), date(2026, 11, 30))
ANY_YEAR = st.dates(date(2004, 1, 1), date(2040, 12, 31))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 9, 28), True),  # Sunday, make-up day for National Day
        (date(2025, 10, 1), False),  # National Day
        (date(2025, 10, 8), False),  # Mid-Autumn joined to the Golden Week
        (date(2025, 10, 11), True),  # Saturday, make-up day
        (date(2026, 2, 14), True),  # Saturday, make-up day before Spring Festival
        (date(2026, 2, 17), False),  # Spring Festival, a Tuesday
        (date(2026, 2, 23), False),  # Monday, still in the Spring Festival break
        (date(2026, 2, 28), True),  # Saturday, make-up day after Spring Festival
        (date(2026, 1, 1), False),  # New Year's Day, a Thursday
        (date(2026, 1, 4), True),  # Sunday, make-up day
        (date(2025, 3, 8), False),  # an ordinary Saturday
        (date(2025, 3, 10), True),  # an ordinary Monday
    ],
)
def test_official_calendar(day: date, working: bool) -> None:
    assert WorkCalendar().is_workday(day) is working


def test_seven_working_days_across_national_day() -> None:
    calendar = WorkCalendar()
    # Fri 26 Sep 2025 -> Sun 28 (make-up), 29, 30, then 9, 10, Sat 11 (make-up), Mon 13 Oct.
    assert calendar.add(date(2025, 9, 26), 7) == date(2025, 10, 13)
    assert calendar.between(date(2025, 9, 26), date(2025, 10, 13)) == 7


def test_seven_working_days_across_spring_festival() -> None:
    calendar = WorkCalendar()
    # Thu 12 Feb 2026 -> 13, Sat 14 (make-up), then 24, 25, 26, 27, Sat 28 (make-up).
    assert calendar.add(date(2026, 2, 12), 7) == date(2026, 2, 28)


def test_working_days_across_the_year_boundary() -> None:
    calendar = WorkCalendar()
    # Tue 30 Dec 2025 -> 31, Sun 4 Jan 2026 (make-up), Mon 5 Jan.
    assert calendar.add(date(2025, 12, 30), 3) == date(2026, 1, 5)
    assert calendar.on_or_after(date(2026, 1, 1)) == date(2026, 1, 4)
    assert calendar.on_or_before(date(2026, 1, 3)) == date(2025, 12, 31)


def test_zero_working_days_is_the_start_and_negative_is_refused() -> None:
    calendar = WorkCalendar()
    assert calendar.add(date(2025, 10, 1), 0) == date(2025, 10, 1)
    assert calendar.between(date(2025, 10, 13), date(2025, 10, 1)) == 0
    with pytest.raises(ValueError, match="negative"):
        calendar.add(date(2025, 10, 1), -1)


def test_years_without_data_fall_back_to_monday_to_friday_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calendar = WorkCalendar()
    with caplog.at_level(logging.WARNING, logger="cases.domain.workdays"):
        assert calendar.is_workday(date(2099, 10, 1)) is True  # a Thursday; no holiday data
        assert calendar.is_workday(date(2099, 10, 3)) is False  # a Saturday
        assert calendar.add(date(2099, 10, 2), 1) == date(2099, 10, 5)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "2099" in warnings[0].getMessage()


def test_a_lookup_without_data_for_a_year_falls_back_per_year(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def lookup(day: date) -> bool:
        if day.year != 2030:
            raise NotImplementedError(day.year)
        return True

    calendar = WorkCalendar(lookup)
    with caplog.at_level(logging.WARNING, logger="cases.domain.workdays"):
        assert calendar.is_workday(date(2030, 6, 1))  # the lookup says so, even on a Saturday
        assert not calendar.is_workday(date(2031, 6, 1))  # a Sunday, by fallback
        assert calendar.is_workday(date(2032, 6, 1))  # a Tuesday, by fallback
    years = ["2031" in r.getMessage() or "2032" in r.getMessage() for r in caplog.records]
    assert years == [True, True]


@given(start=ANY_YEAR, n=st.integers(0, 40))
def test_adding_working_days_lands_on_a_working_day_n_working_days_later(
    start: date, n: int
) -> None:
    calendar = WorkCalendar()
    end = calendar.add(start, n)
    assert calendar.between(start, end) == n
    if n:
        assert calendar.is_workday(end)
        assert calendar.between(start, end - timedelta(days=1)) == n - 1


@given(day=COVERED)
def test_rounding_to_working_days_is_nearest_in_each_direction(day: date) -> None:
    calendar = WorkCalendar()
    after, before = calendar.on_or_after(day), calendar.on_or_before(day)
    assert calendar.is_workday(after)
    assert calendar.is_workday(before)
    assert before <= day <= after
    assert calendar.between(before, after - timedelta(days=1)) == 0


def test_a_loaded_official_year_wins_over_the_library_and_is_covered() -> None:
    from cases.domain.workdays import OfficialYear, parse_official

    years = parse_official({"2025": {"holidays": ["2025-03-03"], "workdays": ["2025-03-08"]}})
    calendar = WorkCalendar(official=years)
    assert not calendar.is_workday(date(2025, 3, 3))  # a Monday the library calls a workday
    assert calendar.is_workday(date(2025, 3, 8))  # a Saturday made a working day
    assert calendar.is_workday(date(2025, 10, 1))  # the loaded notice replaces the library whole
    assert calendar.covers(2025)
    assert WorkCalendar(covers=lambda year: year <= 2026).uncovered(2026, 2027) == [2027]
    assert isinstance(years[2025], OfficialYear)
    with pytest.raises(ValueError, match="both a holiday and a working day"):
        parse_official({"2027": {"holidays": ["2027-02-06"], "workdays": ["2027-02-06"]}})
