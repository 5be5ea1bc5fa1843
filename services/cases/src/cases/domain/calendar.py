"""Deadlines against the holiday calendar: which are provisional, and recounting them on a new year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from cases.domain.clocks import Clocks
from cases.domain.deadlines import UNASSIGNED
from cases.domain.model import Case
from cases.domain.records import Actor
from cases.domain.states import HANDLING, Action
from cases.domain.workdays import WorkCalendar


def deadline_years(case: Case) -> tuple[int, ...]:
    """Return the years the running deadline of a case is counted across."""
    if case.state in UNASSIGNED:
        return tuple(range(case.received_on.year, case.assign_by.year + 1))
    if case.state in HANDLING and case.clock_start and case.due_on:
        return tuple(range(case.clock_start.year, case.due_on.year + 1))
    return ()


def mark_calendar(case: Case, calendar: WorkCalendar) -> bool:
    """Mark a case whose running deadline was counted Monday–Friday; True when newly marked."""
    fallback = bool(calendar.uncovered(*deadline_years(case)))
    newly = fallback and not case.calendar_fallback
    case.calendar_fallback = fallback
    return newly


@dataclass(frozen=True)
class Moved:
    """A deadline an official arrangement moved."""

    clock: str  # "reply" or "assignment"
    previous: date
    due_on: date


def recount(case: Case, clocks: Clocks, year: int, by: Actor, at: datetime) -> Moved | None:
    """Recount the running deadline of a case in ``year`` on the calendar now loaded.

    A reply clock is counted again from its start; an extended due date (chosen by a person) only
    moves off a day that is now a holiday. Returns what moved, or None; a move is on the timeline.
    """
    if case.state in UNASSIGNED and year in deadline_years(case):
        previous, due = case.assign_by, clocks.assign_by(case.received_on)
        clock = "assignment"
    elif case.state in HANDLING and case.due_on and case.clock and case.clock_start:
        if case.due_on.year != year and year not in deadline_years(case):
            return None
        previous = case.due_on
        if case.extension is not None:
            due = clocks.calendar.on_or_after(case.due_on)
        else:
            due = clocks.due_on(case.clock, case.clock_start, case.category)
        clock = "reply"
    else:
        return None
    mark_calendar(case, clocks.calendar)
    if due == previous:
        return None
    if clock == "assignment":
        case.assign_by = due
    else:
        case.due_on = due
    note = f"{clock} deadline {previous.isoformat()} -> {due.isoformat()}: official calendar {year}"
    case.record(Action.recalendar, case.state, by, at, note)
    return Moved(clock, previous, due)
