"""Every deadline a case has now: assignment, reply, return window, extension, follow-up."""

from __future__ import annotations

from datetime import date

from cases.domain.clocks import Clocks
from cases.domain.model import Case
from cases.domain.states import Action, State

UNASSIGNED = frozenset({State.received, State.accepted})
"""States in which the assignment deadline (交办) runs."""


def deadlines(case: Case, clocks: Clocks) -> dict[str, date | None]:
    """Return the case's deadlines by name; a deadline that does not apply now is None."""
    possible = case.possible_actions()
    last = case.last_reply
    return {
        "assign_by": case.assign_by if case.state in UNASSIGNED else None,
        "due_on": case.due_on,
        "return_by": (
            clocks.return_by(case.assigned_on)
            if Action.return_ in possible and case.assigned_on
            else None
        ),
        "extension_until": (
            clocks.extension_limit(case.due_on, case.clock, case.clock_start)
            if Action.extend in possible and case.due_on
            else None
        ),
        "outer_limit": (
            clocks.outer_limit(case.clock, case.clock_start)
            if case.clock and case.clock_start and case.due_on
            else None
        ),
        "follow_up_due_on": (
            last.follow_up_due_on if last and case.state is State.follow_up else None
        ),
    }
