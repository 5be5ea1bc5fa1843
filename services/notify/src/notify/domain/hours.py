"""Hours in China time: quiet hours, working hours and the daily digest's send time (pure).

All instants are aware; local times are read in Asia/Shanghai (``kit.clock.CHINA``), whatever the
server's zone. Working days come from an injected calendar (official holidays and 调休 in
production, Monday to Friday by default).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from kit.clock import CHINA

Workdays = Callable[[date], bool]
_DAY = timedelta(days=1)
_MINUTES_PER_DAY = 24 * 60


def monday_to_friday(day: date) -> bool:
    """Tell whether a day is Monday to Friday (the fallback calendar)."""
    return day.weekday() < 5


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, CHINA)


def _minutes(clock: time) -> int:
    return clock.hour * 60 + clock.minute


def _local(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return at.astimezone(CHINA)


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A nightly window in China time, e.g. 22:00–07:00; it may run across midnight."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("quiet hours must not start when they end")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("quiet hours are local China times without a zone")

    @property
    def wraps(self) -> bool:
        """Tell whether the window runs across midnight."""
        return self.start > self.end

    def contains(self, at: datetime) -> bool:
        """Tell whether an instant falls in the window (start included, end excluded)."""
        now = _local(at).time().replace(tzinfo=None)
        if self.wraps:
            return now >= self.start or now < self.end
        return self.start <= now < self.end

    def end_after(self, at: datetime) -> datetime:
        """Return the first instant at or after ``at`` outside the window."""
        if not self.contains(at):
            return at
        local = _local(at)
        day = local.date()
        if self.wraps and local.time().replace(tzinfo=None) >= self.start:
            day += _DAY
        return _at(day, self.end)

    def minute_ranges(self) -> list[tuple[int, int]]:
        """Return the window as half-open minute ranges of one day (two when it wraps)."""
        start, end = _minutes(self.start), _minutes(self.end)
        if self.wraps:
            return [(start, _MINUTES_PER_DAY), (0, end)]
        return [(start, end)]

    def overlaps(self, other: QuietHours) -> bool:
        """Tell whether two windows share a minute."""
        return any(
            a < d and c < b for a, b in self.minute_ranges() for c, d in other.minute_ranges()
        )


def outside_quiet(at: datetime, windows: tuple[QuietHours, ...]) -> datetime:
    """Return the first instant at or after ``at`` outside every window."""
    for _ in range(len(windows) + 1):
        moved = at
        for window in windows:
            moved = window.end_after(moved)
        if moved == at:
            return at
        at = moved
    return at


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """Office hours on working days, in China time (default 08:30–17:30, Monday to Friday)."""

    start: time = time(8, 30)
    end: time = time(17, 30)
    is_workday: Workdays = field(default=monday_to_friday)

    def __post_init__(self) -> None:
        if self.start >= self.end:
            raise ValueError("working hours must start before they end")

    def next_open(self, at: datetime) -> datetime:
        """Return ``at`` if it is within working hours, else when they next begin."""
        local = _local(at)
        day, now = local.date(), local.time().replace(tzinfo=None)
        if self.is_workday(day) and self.start <= now < self.end:
            return at
        if not (self.is_workday(day) and now < self.start):
            day = next_workday(day + _DAY, self.is_workday)
        return _at(day, self.start)


def next_workday(day: date, is_workday: Workdays, limit: int = 60) -> date:
    """Return ``day`` or the first working day after it (a calendar with none in ``limit`` days is broken)."""
    for _ in range(limit):
        if is_workday(day):
            return day
        day += _DAY
    raise ValueError(f"no working day within {limit} days of {day}")


@dataclass(frozen=True, slots=True)
class DigestTime:
    """When the daily digest goes: a China time, on working days only or every day."""

    send_at: time = time(8, 30)
    workdays_only: bool = True

    def next_send(self, at: datetime, is_workday: Workdays = monday_to_friday) -> datetime:
        """Return the first digest instant strictly after ``at``: the digest that collects it."""
        day = _local(at).date()
        candidate = _at(day, self.send_at)
        if candidate <= at:
            day += _DAY
        if self.workdays_only:
            day = next_workday(day, is_workday)
        return _at(day, self.send_at)
