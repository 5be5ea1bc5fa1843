"""Working days on the official Chinese calendar, statutory holidays and make-up days (调休) included."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger(__name__)

_ONE_DAY = timedelta(days=1)


def official_is_workday(day: date) -> bool:
    """Ask the ``chinese_calendar`` package; raises ``NotImplementedError`` for years it lacks."""
    return bool(chinese_calendar.is_workday(day))


@dataclass(frozen=True)
class OfficialYear:
    """A year's official arrangement (国务院办公厅 notice): holidays and make-up working days."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]

    @classmethod
    def parse(cls, year: int, holidays: Iterable[str], workdays: Iterable[str]) -> OfficialYear:
        """Validate a year's arrangement; raise ``ValueError`` naming every problem."""
        problems: list[str] = []
        if not 2000 <= year <= 2100:
            problems.append(f"year {year} is not between 2000 and 2100")

        def days(label: str, values: Iterable[str]) -> set[date]:
            found: set[date] = set()
            for value in values:
                try:
                    day = date.fromisoformat(value)
                except (TypeError, ValueError):
                    problems.append(f"{label}: {value!r} is not a date (YYYY-MM-DD)")
                    continue
                if day.year != year:
                    problems.append(f"{label}: {value} is not in {year}")
                found.add(day)
            return found

        off = days("holidays", holidays)
        on = days("workdays", workdays)
        if not off:
            problems.append("holidays: a year's arrangement names its holidays")
        problems += [f"{d} is both a holiday and a working day" for d in sorted(off & on)]
        problems += [f"workdays: {d} is not a weekend day" for d in sorted(on) if d.weekday() < 5]
        if problems:
            raise ValueError(f"official calendar {year}: " + "; ".join(problems))
        return cls(year, frozenset(off), frozenset(on))

    @property
    def digest(self) -> str:
        """Return a fingerprint of the arrangement (a changed notice is loaded again)."""
        text = json.dumps([sorted(map(str, self.holidays)), sorted(map(str, self.workdays))])
        return hashlib.sha256(text.encode()).hexdigest()

    def is_workday(self, day: date) -> bool:
        """Tell whether ``day`` of this year is a working day under the arrangement."""
        if day in self.holidays:
            return False
        return day in self.workdays or day.weekday() < 5


def parse_official(config: Mapping[str, Mapping[str, Iterable[str]]]) -> dict[int, OfficialYear]:
    """Read ``{"2027": {"holidays": [...], "workdays": [...]}}``; raise ``ValueError`` on errors."""
    years: dict[int, OfficialYear] = {}
    for key, arrangement in config.items():
        unknown = set(arrangement) - {"holidays", "workdays"}
        if unknown:
            raise ValueError(f"official calendar {key}: unknown keys {sorted(unknown)}")
        try:
            year = int(key)
        except ValueError:
            raise ValueError(f"official calendar: {key!r} is not a year") from None
        years[year] = OfficialYear.parse(
            year, arrangement.get("holidays", ()), arrangement.get("workdays", ())
        )
    return years


def library_covers(year: int) -> bool:
    """Tell whether the ``chinese_calendar`` package knows the year's holidays."""
    try:
        official_is_workday(date(year, 1, 1))
        official_is_workday(date(year, 12, 31))
    except NotImplementedError:
        return False
    return True


class WorkCalendar:
    """Working-day arithmetic: loaded official years first, then the library, then Monday–Friday.

    A year neither loaded nor in the library falls back to Monday–Friday, with a warning; such a
    year is not ``covered`` and a clock counted in it is marked provisional.
    """

    def __init__(
        self,
        lookup: Callable[[date], bool] = official_is_workday,
        official: Mapping[int, OfficialYear] | None = None,
        covers: Callable[[int], bool] = library_covers,
    ) -> None:
        self._lookup = lookup
        self._warned: set[int] = set()
        self._known: dict[date, bool] = {}
        self.official: Mapping[int, OfficialYear] = dict(official or {})
        self._covers = covers
        self._coverage: dict[int, bool] = {}

    def covers(self, year: int) -> bool:
        """Tell whether the year's official holidays are known (loaded or in the library)."""
        if year in self.official:
            return True
        known = self._coverage.get(year)
        if known is None:
            known = self._coverage[year] = self._covers(year)
        return known

    def uncovered(self, *years: int) -> list[int]:
        """Return the years among ``years`` counted on the Monday–Friday fallback."""
        return [y for y in years if not self.covers(y)]

    def is_workday(self, day: date) -> bool:
        """Tell whether ``day`` is a working day (make-up weekend days count, holidays do not)."""
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._look_up(day)
        return known

    def _look_up(self, day: date) -> bool:
        loaded = self.official.get(day.year)
        if loaded is not None:
            return loaded.is_workday(day)
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
