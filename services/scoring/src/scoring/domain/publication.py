"""Publication of a period's scores (亮分): which periods exist, their days, the standings shown.

A publication freezes what the deputies of a township see of each other for a period: the
standings as they were when the county published them, never recomputed afterwards.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from kit.errors import invalid
from scoring.domain.entries import Entry
from scoring.domain.periods import periods
from scoring.domain.rules import Cadence
from scoring.domain.scorecard import ScoreCard, rank

_LABEL = re.compile(r"^(?P<y>\d{4})(?:-(?:(?P<m>\d{2})|Q(?P<q>[1-4])|H(?P<h>[12])))?$")
OPEN_STATUSES = frozenset({"provisional", "first_reviewed", "contested"})
"""Review statuses an entry may not be in when its period is published (复核 comes first)."""


def period_bounds(label: str) -> tuple[date, date]:
    """Return the first and last day of a period label (``2026``, ``2026-03``, ``-Q1``, ``-H2``)."""
    found = _LABEL.match(label)
    if found is None:
        raise invalid("period", f"{label!r} is not a period label", "value_error")
    year = int(found["y"])
    first, last = 1, 12
    if found["m"]:
        first = last = int(found["m"])
    elif found["q"]:
        first = 3 * int(found["q"]) - 2
        last = first + 2
    elif found["h"]:
        first = 6 * int(found["h"]) - 5
        last = first + 5
    return date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1])


def check_period(label: str, year: int, cadence: Cadence) -> tuple[date, date]:
    """Refuse a period that is not one of the rule set's publication cadence; return its days."""
    allowed = periods(year, cadence)
    if label not in allowed:
        raise invalid(
            "period",
            f"{label!r} is not a {cadence.value} period of {year}: one of {', '.join(allowed)}",
            "value_error",
        )
    return period_bounds(label)


@dataclass(frozen=True)
class PublishedStanding:
    """One deputy's line of a published period: the year so far, the period's points, the rank."""

    deputy_id: str
    total: Decimal
    period_points: Decimal
    grade: str
    rank: int
    by_category: tuple[tuple[str, Decimal], ...] = ()

    def as_json(self) -> dict[str, Any]:
        """Return the line as stored in the snapshot (decimals as strings)."""
        return {
            "deputy_id": self.deputy_id,
            "total": str(self.total),
            "period_points": str(self.period_points),
            "grade": self.grade,
            "rank": self.rank,
            "by_category": {label: str(points) for label, points in self.by_category},
        }


def unreviewed(
    rows: Iterable[tuple[Entry, str]], township: str, start: date, end: date
) -> list[str]:
    """Return the ids of the township's entries of the period still awaiting 初审 or 复核."""
    return [
        e.entry_id
        for e, status in rows
        if e.township == township and start <= e.occurred_on <= end and status in OPEN_STATUSES
    ]


def standings(
    cards: Mapping[str, ScoreCard], roster: Mapping[str, str], township: str, period: str
) -> list[PublishedStanding]:
    """Return the township's deputies ranked by their total up to the end of the period."""
    mine = {d: c for d, c in cards.items() if roster.get(d) == township}
    ranks = rank({d: c.total for d, c in mine.items()})
    lines = [
        PublishedStanding(
            deputy_id=d,
            total=c.total,
            period_points=sum((e.points for e in c.lines if e.period == period), Decimal(0)),
            grade=c.grade.value,
            rank=ranks[d],
            by_category=tuple((t.label, t.points) for t in c.by_category),
        )
        for d, c in mine.items()
    ]
    return sorted(lines, key=lambda s: (s.rank, s.deputy_id))
