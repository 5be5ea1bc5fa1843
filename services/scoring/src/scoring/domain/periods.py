"""Periods of a scoring year: month, quarter, half-year, year, labelled the same way everywhere."""

from __future__ import annotations

from datetime import date

from scoring.domain.rules import Cadence


def month_of(day: date) -> str:
    """Return the month label of a day, e.g. ``2026-03``."""
    return f"{day.year}-{day.month:02d}"


def quarter_of(day: date) -> str:
    """Return the quarter label of a day, e.g. ``2026-Q1``."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def half_of(day: date) -> str:
    """Return the half-year label of a day, e.g. ``2026-H2``."""
    return f"{day.year}-H{(day.month - 1) // 6 + 1}"


def period_of(day: date, cadence: Cadence) -> str:
    """Return the label of the period of ``cadence`` that holds ``day``."""
    if cadence is Cadence.monthly:
        return month_of(day)
    if cadence is Cadence.quarterly:
        return quarter_of(day)
    if cadence is Cadence.half_yearly:
        return half_of(day)
    return str(day.year)


def periods(year: int, cadence: Cadence) -> tuple[str, ...]:
    """Return every period label of ``cadence`` in a year, in order."""
    if cadence is Cadence.monthly:
        return tuple(f"{year}-{m:02d}" for m in range(1, 13))
    if cadence is Cadence.quarterly:
        return tuple(f"{year}-Q{q}" for q in range(1, 5))
    if cadence is Cadence.half_yearly:
        return (f"{year}-H1", f"{year}-H2")
    return (str(year),)
