"""The official working-day calendar (国务院办公厅 holidays and 调休 make-up days)."""

from __future__ import annotations

from datetime import date

import chinese_calendar

from notify.domain.hours import monday_to_friday


def official_workday(day: date) -> bool:
    """Tell whether a day is a working day; Monday–Friday for a year the calendar does not know."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return monday_to_friday(day)
