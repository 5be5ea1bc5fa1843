"""Quiet hours, working hours and the digest's send time, in China time, across midnight and holidays."""

from __future__ import annotations

from datetime import date, datetime, time

import chinese_calendar
import pytest

from kit.clock import CHINA
from notify.domain.hours import DigestTime, QuietHours, WorkingHours, outside_quiet

NIGHT = QuietHours(time(22), time(7))
LUNCH = QuietHours(time(12), time(13, 30))


def cn(text: str) -> datetime:
    """Return an instant from China local time ``YYYY-MM-DD HH:MM``."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=CHINA)


def official(day: date) -> bool:
    """Return the official calendar's answer (holidays and 调休 included)."""
    return bool(chinese_calendar.is_workday(day))


@pytest.mark.parametrize(
    ("at", "inside", "ends"),
    [
        ("2025-03-03 21:59", False, "2025-03-03 21:59"),
        ("2025-03-03 22:00", True, "2025-03-04 07:00"),
        ("2025-03-03 23:59", True, "2025-03-04 07:00"),
        ("2025-03-04 00:00", True, "2025-03-04 07:00"),
        ("2025-03-04 06:59", True, "2025-03-04 07:00"),
        ("2025-03-04 07:00", False, "2025-03-04 07:00"),
        ("2025-12-31 23:30", True, "2026-01-01 07:00"),  # across the year end
    ],
)
def test_quiet_hours_across_midnight(at: str, inside: bool, ends: str) -> None:
    assert NIGHT.contains(cn(at)) is inside
    assert NIGHT.end_after(cn(at)) == cn(ends)


def test_quiet_hours_read_china_time_whatever_zone_the_instant_is_in() -> None:
    utc_afternoon = datetime.fromisoformat("2025-03-03T15:30:00+00:00")  # 23:30 in China
    assert NIGHT.contains(utc_afternoon)
    assert NIGHT.end_after(utc_afternoon) == cn("2025-03-04 07:00")


def test_windows_in_a_row_are_all_skipped() -> None:
    early = QuietHours(time(7), time(8))
    assert outside_quiet(cn("2025-03-03 23:00"), (NIGHT, early)) == cn("2025-03-04 08:00")
    assert outside_quiet(cn("2025-03-03 12:15"), (NIGHT, LUNCH)) == cn("2025-03-03 13:30")
    assert outside_quiet(cn("2025-03-03 10:00"), (NIGHT, LUNCH)) == cn("2025-03-03 10:00")


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        (NIGHT, LUNCH, False),
        (NIGHT, QuietHours(time(6), time(8)), True),
        (NIGHT, QuietHours(time(21), time(22)), False),  # touching is not overlapping
        (NIGHT, QuietHours(time(23), time(1)), True),
        (LUNCH, QuietHours(time(13), time(14)), True),
    ],
)
def test_overlap_of_windows(a: QuietHours, b: QuietHours, overlap: bool) -> None:
    assert a.overlaps(b) is overlap
    assert b.overlaps(a) is overlap


def test_empty_quiet_hours_are_refused() -> None:
    with pytest.raises(ValueError, match="must not start when they end"):
        QuietHours(time(7), time(7))


HOURS = WorkingHours(is_workday=official)


@pytest.mark.parametrize(
    ("at", "opens"),
    [
        ("2025-03-03 10:00", "2025-03-03 10:00"),  # Monday, in hours
        ("2025-03-03 07:00", "2025-03-03 08:30"),  # before hours
        ("2025-03-03 17:30", "2025-03-04 08:30"),  # after hours: next morning
        ("2025-03-07 18:00", "2025-03-10 08:30"),  # Friday evening: Monday
        ("2025-03-08 11:00", "2025-03-10 08:30"),  # Saturday
        ("2025-09-30 18:00", "2025-10-09 08:30"),  # National Day and Mid-Autumn: 1-8 October off
        ("2025-09-28 10:00", "2025-09-28 10:00"),  # a Sunday that is a make-up working day (调休)
        ("2025-12-31 23:00", "2026-01-04 08:30"),  # New Year 1-3 January 2026, 4th a 调休 Sunday
    ],
)
def test_next_working_hour_follows_the_official_calendar(at: str, opens: str) -> None:
    assert HOURS.next_open(cn(at)) == cn(opens)


DAILY = DigestTime(time(8, 30), workdays_only=True)


@pytest.mark.parametrize(
    ("at", "sent"),
    [
        ("2025-03-03 08:00", "2025-03-03 08:30"),
        ("2025-03-03 08:30", "2025-03-04 08:30"),  # the 08:30 digest is being built: the next one
        ("2025-03-03 23:59", "2025-03-04 08:30"),  # across midnight
        ("2025-03-04 00:01", "2025-03-04 08:30"),
        ("2025-03-07 09:00", "2025-03-10 08:30"),  # Friday: Monday's digest
        ("2025-09-30 09:00", "2025-10-09 08:30"),  # the holiday week is skipped
    ],
)
def test_the_digest_that_collects_an_item(at: str, sent: str) -> None:
    assert DAILY.next_send(cn(at), official) == cn(sent)


def test_an_every_day_digest_goes_on_holidays_too() -> None:
    every_day = DigestTime(time(20), workdays_only=False)
    assert every_day.next_send(cn("2025-10-01 21:00"), official) == cn("2025-10-02 20:00")
