"""The chase day: a scheduler that looks only on chase days announces what a daily one does."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings, strategies as st

from cases.domain.chasing import ChasePolicy, RunningClock, due_announcements, next_chase_day
from cases.domain.workdays import WorkCalendar

CAL = WorkCalendar()
POLICY = ChasePolicy()
ONE = timedelta(days=1)


def _daily(clock: RunningClock, until: date) -> list[tuple[date, str]]:
    announced: set[str] = set()
    out: list[tuple[date, str]] = []
    day = clock.start
    while day <= until:
        for a in due_announcements(clock, day, announced, CAL, POLICY):
            announced.add(a.key)
            out.append((day, a.key))
        day += ONE
    return out


def _on_chase_days(clock: RunningClock, until: date) -> list[tuple[date, str]]:
    announced: set[str] = set()
    out: list[tuple[date, str]] = []
    day = next_chase_day(clock, clock.start, CAL, POLICY)
    while day <= until:
        for a in due_announcements(clock, day, announced, CAL, POLICY):
            announced.add(a.key)
            out.append((day, a.key))
        later = next_chase_day(clock, day + ONE, CAL, POLICY)
        assert later > day
        day = later
    return out


@settings(max_examples=150, deadline=None)
@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)),
    length=st.integers(min_value=0, max_value=200),
)
def test_chase_days_miss_nothing_a_daily_scheduler_announces(start: date, length: int) -> None:
    clock = RunningClock(start, start + timedelta(days=length))
    until = clock.due + timedelta(days=25)
    assert _on_chase_days(clock, until) == _daily(clock, until)


def test_the_chase_days_of_a_three_month_clock() -> None:
    clock = RunningClock(date(2025, 3, 3), date(2025, 6, 3))  # 92 days
    assert next_chase_day(clock, date(2025, 3, 3), CAL, POLICY) == date(2025, 4, 18)  # 50 %
    assert next_chase_day(clock, date(2025, 4, 19), CAL, POLICY) == date(2025, 5, 11)  # 75 %
    assert next_chase_day(clock, date(2025, 5, 12), CAL, POLICY) == date(2025, 6, 4)  # breach
    # overdue: the next working day, skipping the weekend
    assert next_chase_day(clock, date(2025, 6, 7), CAL, POLICY) == date(2025, 6, 9)


def test_overdue_in_the_national_day_week_waits_for_the_first_working_day() -> None:
    clock = RunningClock(date(2025, 7, 1), date(2025, 9, 30))
    assert next_chase_day(clock, date(2025, 9, 9), CAL, POLICY) == date(2025, 10, 1)  # breach day
    assert next_chase_day(clock, date(2025, 10, 2), CAL, POLICY) == date(2025, 10, 9)
