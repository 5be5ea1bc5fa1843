"""Period labels: every day falls in exactly one period of each cadence, labelled one way."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from scoring.domain.periods import period_of, periods
from scoring.domain.rules import Cadence


@pytest.mark.parametrize(
    ("day", "cadence", "label"),
    [
        (date(2026, 3, 31), Cadence.monthly, "2026-03"),
        (date(2026, 3, 31), Cadence.quarterly, "2026-Q1"),
        (date(2026, 4, 1), Cadence.quarterly, "2026-Q2"),
        (date(2026, 6, 30), Cadence.half_yearly, "2026-H1"),
        (date(2026, 7, 1), Cadence.half_yearly, "2026-H2"),
        (date(2026, 12, 31), Cadence.yearly, "2026"),
    ],
)
def test_a_day_is_labelled_by_its_period(day: date, cadence: Cadence, label: str) -> None:
    assert period_of(day, cadence) == label


@pytest.mark.parametrize("cadence", list(Cadence))
def test_the_periods_of_a_year_are_the_labels_of_its_days_in_order(cadence: Cadence) -> None:
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]
    assert tuple(dict.fromkeys(period_of(d, cadence) for d in days)) == periods(2026, cadence)
