"""Working days on the official Chinese calendar, statutory holidays and make-up days (调休) included."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger(__name__)

_ONE_DAY = timedelta(days=1)


def official_is_workday(day: date) -> bool:
    """Ask the ``chinese_calendar`` package; raises ``NotImplementedError`` for years it lacks."""
    return bool(chinese_calendar.is_workday(day))


class WorkCalendar:
    """Working-day arithmetic; years the official data lacks fall back to Monday–Friday, with a warning."""

    def __init__(self, lookup: Callable[[date], bool] = official_is_workday) -> None:
        self._lookup = lookup
        self._warned: set[int] = set()
        self._known: dict[date, bool] = {}

    def is_workday(self, day: date) -> bool:
        """Tell whether ``day`` is a working day (make-up weekend days count, holidays do not)."""
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._look_up(day)
        return known

    def _look_up(self, day: date) -> bool:
        try:
            return self._lookup(day)
        except NotImplementedError:
            if day.year not in self._warned:
                self._warned.add(day.year)
                log.warning(
                    "no official holiday data for %d; counting Monday to Friday as working days",
                    day.year,
                )
            return day.weekday() < 5

    def on_or_after(self, day: date) -> date:
        """Return ``day`` if it is a working day, else the next working day."""
        while not self.is_workday(day):
            day += _ONE_DAY
        return day

    def on_or_before(self, day: date) -> date:
        """Return ``day`` if it is a working day, else the last working day before it."""
        while not self.is_workday(day):
            day -= _ONE_DAY
        return day

    def add(self, start: date, workdays: int) -> date:
        """Return the ``workdays``-th working day after ``start`` (``start`` itself not counted)."""
        if workdays < 0:
            raise ValueError("workdays must not be negative")
        day = start
        for _ in range(workdays):
            day = self.on_or_after(day + _ONE_DAY)
        return day

    def between(self, start: date, end: date) -> int:
        """Count working days after ``start`` up to and including ``end`` (0 when ``end <= start``)."""
        count = 0
        day = start + _ONE_DAY
        while day <= end:
            count += self.is_workday(day)
            day += _ONE_DAY
        return count
