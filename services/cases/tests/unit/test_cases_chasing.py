"""Chasing: warnings at 50 % and 75 %, overdue at breach, daily reminders, escalation ladder."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from cases.domain.chasing import (
    Announcement,
    ChasePolicy,
    Notice,
    RunningClock,
    announcement_key,
    days_overdue,
    due_announcements,
    used_share,
)
from cases.domain.workdays import WorkCalendar
from contracts.vocabulary import EscalationLevel

CLOCK = RunningClock(date(2025, 3, 3), date(2025, 6, 3))  # 92 days
CAL = WorkCalendar()
POLICY = ChasePolicy()


def due(today: date, announced: set[str] | None = None, clock: RunningClock = CLOCK) -> list[str]:
    """Return the keys due on ``today``."""
    return [a.key for a in due_announcements(clock, today, announced or set(), CAL, POLICY)]


def test_nothing_before_half_the_clock() -> None:
    assert due(date(2025, 3, 3)) == []
    assert due(date(2025, 4, 17)) == []  # 45 of 92 days


def test_warning_at_half_the_clock() -> None:
    [warning] = due_announcements(CLOCK, date(2025, 4, 18), set(), CAL, POLICY)
    assert warning == Announcement(Notice.warning, "r1:warning:50", 1, threshold=50)


def test_warning_at_three_quarters_after_the_first() -> None:
    assert due(date(2025, 5, 11), {"r1:warning:50"}) == ["r1:warning:75"]  # 69 of 92 days
    assert due(date(2025, 5, 11), {"r1:warning:50", "r1:warning:75"}) == []


def test_a_warning_overtaken_while_the_scheduler_was_down_is_skipped() -> None:
    assert due(date(2025, 5, 20)) == ["r1:warning:75"]
    assert due(date(2025, 5, 20), {"r1:warning:75"}) == []


def test_an_extension_never_brings_back_a_lower_warning() -> None:
    extended = RunningClock(CLOCK.start, date(2025, 9, 3))
    assert used_share(extended, date(2025, 5, 20)) < Fraction(3, 4)
    assert due(date(2025, 5, 20), {"r1:warning:75"}, extended) == []
    assert due(date(2025, 8, 10), {"r1:warning:75"}, extended) == []


def test_not_overdue_on_the_due_date() -> None:
    assert due(date(2025, 6, 3), {"r1:warning:50", "r1:warning:75"}) == []


def test_overdue_and_the_first_escalation_at_breach() -> None:
    announced = due_announcements(CLOCK, date(2025, 6, 4), set(), CAL, POLICY)
    assert [(a.notice, a.level, a.days_overdue) for a in announced] == [
        (Notice.overdue, None, 1),
        (Notice.escalation, EscalationLevel.township_chair, 1),
    ]


def test_daily_reminders_from_the_second_working_day_overdue() -> None:
    seen = {"r1:overdue:breach", "r1:escalation:township_chair"}
    assert due(date(2025, 6, 4), seen) == []
    [first] = due_announcements(CLOCK, date(2025, 6, 5), seen, CAL, POLICY)
    assert (first.notice, first.reminder, first.days_overdue) == (Notice.reminder, 1, 2)
    seen.add(first.key)
    assert due(date(2025, 6, 5), seen) == []  # throttled: once a day
    assert due(date(2025, 6, 7), seen) == []  # a Saturday: no reminder
    [second] = due_announcements(CLOCK, date(2025, 6, 9), seen, CAL, POLICY)
    assert (second.reminder, second.days_overdue) == (2, 4)  # missed days are not made up


def test_escalation_climbs_the_ladder_once_per_level() -> None:
    seen = {"r1:overdue:breach", "r1:escalation:township_chair", "r1:reminder:4"}
    assert due(date(2025, 6, 10), seen) == ["r1:escalation:county_committee", "r1:reminder:5"]
    seen |= {"r1:escalation:county_committee", "r1:reminder:5"}
    assert due(date(2025, 6, 17), seen) == ["r1:escalation:vice_chair", "r1:reminder:10"]


def test_a_late_tick_announces_every_level_reached_once() -> None:
    keys = due(date(2025, 6, 17))
    assert keys == [
        "r1:overdue:breach",
        "r1:escalation:township_chair",
        "r1:escalation:county_committee",
        "r1:escalation:vice_chair",
        "r1:reminder:10",
    ]
    assert due(date(2025, 6, 17), set(keys)) == []


def test_breach_over_a_holiday_counts_working_days_only() -> None:
    clock = RunningClock(date(2025, 7, 1), date(2025, 9, 30))
    assert days_overdue(clock, date(2025, 10, 5), CAL) == 0
    assert due(date(2025, 10, 5), {"r1:warning:75"}, clock) == [
        "r1:overdue:breach",
        "r1:escalation:township_chair",
    ]
    assert days_overdue(clock, date(2025, 10, 10), CAL) == 2


def test_each_round_is_chased_on_its_own() -> None:
    second = RunningClock(date(2025, 7, 1), date(2025, 8, 1), round=2)
    assert due(date(2025, 8, 4), {"r1:overdue:breach"}, second)[0] == "r2:overdue:breach"
    assert announcement_key(2, Notice.warning, 50) == "r2:warning:50"


def test_a_clock_of_zero_length() -> None:
    clock = RunningClock(date(2025, 3, 3), date(2025, 3, 3))
    assert used_share(clock, date(2025, 3, 2)) == 0
    assert used_share(clock, date(2025, 3, 3)) == 1
    assert due(date(2025, 3, 3), clock=clock) == ["r1:warning:75"]


def test_policies_and_clocks_are_validated() -> None:
    with pytest.raises(ValueError, match="thresholds"):
        ChasePolicy(warnings=(75, 50))
    with pytest.raises(ValueError, match="thresholds"):
        ChasePolicy(warnings=(0, 50))
    with pytest.raises(ValueError, match="escalation"):
        ChasePolicy(escalation_after={EscalationLevel.vice_chair: -1})
    with pytest.raises(ValueError, match="reminders"):
        ChasePolicy(first_reminder_after=0)
    with pytest.raises(ValueError, match="before it starts"):
        RunningClock(date(2025, 3, 3), date(2025, 3, 2))


@settings(deadline=None)
@given(
    start=st.dates(date(2024, 1, 1), date(2026, 6, 30)),
    length=st.integers(0, 120),
    ticks=st.lists(st.booleans(), min_size=160, max_size=160),
)
def test_a_scheduler_ticking_on_random_days_announces_each_thing_once(
    start: date, length: int, ticks: list[bool]
) -> None:
    clock = RunningClock(start, start + timedelta(days=length))
    announced: dict[str, Announcement] = {}
    days = [start + timedelta(days=i) for i, tick in enumerate(ticks) if tick]
    last = start + timedelta(days=len(ticks))
    for today in [*days, last]:
        for a in due_announcements(clock, today, set(announced), CAL, POLICY):
            assert a.key not in announced
            if a.notice is Notice.reminder:
                assert CAL.is_workday(today)
                assert a.days_overdue >= POLICY.first_reminder_after
            if a.notice is Notice.warning:
                assert today <= clock.due
            announced[a.key] = a
    found = list(announced.values())
    late = days_overdue(clock, last, CAL)
    levels = [a.level for a in found if a.notice is Notice.escalation]
    assert levels == [lvl for lvl, n in POLICY.escalation_after.items() if late >= n]
    assert sum(a.notice is Notice.overdue for a in found) == 1
    reminders = [a.reminder for a in found if a.notice is Notice.reminder]
    assert reminders == list(range(1, len(reminders) + 1))
    thresholds = [a.threshold or 0 for a in found if a.notice is Notice.warning]
    assert thresholds == sorted(set(thresholds))
