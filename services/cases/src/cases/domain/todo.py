"""A handling unit's to-do list (待办): what it owes next on each of its cases, and by when."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction

from cases.domain.chasing import ChasePolicy, used_share
from cases.domain.clocks import Clocks
from cases.domain.model import Case
from cases.domain.states import HANDLING, Action, State
from contracts.vocabulary import HandlingRole


class Owed(StrEnum):
    """The step a unit owes next on a case."""

    reply = "reply"  # the lead unit's reply (答复), by the due date
    co_opinion = "co_opinion"  # a co-handler's own opinion (会办意见), before the lead replies
    follow_up = "follow_up"  # a B/C reply's promise, by the date it named (跟踪办理)


@dataclass(frozen=True)
class TodoItem:
    """One line of a unit's to-do list."""

    case_id: str
    kind: str
    township: str
    title: str
    state: State
    role: HandlingRole
    owed: Owed
    deadline: date
    warning: int | None  # the highest warning threshold (% of the clock) reached, if any
    overdue: bool
    days_left: int  # calendar days until the deadline (negative when overdue)
    key_chase: bool
    extension_pending: bool  # the unit's application for extension awaits a decision
    may_apply_extension: bool
    co_opinions_missing: tuple[str, ...]  # co-handlers still to give theirs (lead unit's view)
    return_by: date | None  # last day the unit may still return (退办) the case


def todo_item(
    case: Case, unit_id: str, today: date, clocks: Clocks, policy: ChasePolicy
) -> TodoItem | None:
    """Return what ``unit_id`` owes on the case now, or None when it owes nothing."""
    unit = next((u for u in case.units if u.unit_id == unit_id), None)
    if unit is None:
        return None
    owed: Owed | None = None
    deadline = case.due_on
    if case.state in HANDLING and unit.role is HandlingRole.lead:
        owed = Owed.reply
    elif case.state in HANDLING and unit_id in case.opinions_missing():
        owed = Owed.co_opinion
    elif case.state is State.follow_up and unit.role is HandlingRole.lead:
        last = case.last_reply
        owed, deadline = Owed.follow_up, last.follow_up_due_on if last else None
    if owed is None or deadline is None:
        return None
    clock = case.running_clock()
    warning = None
    if clock is not None and owed is not Owed.follow_up and today <= deadline:
        share = used_share(clock, today)
        reached = [t for t in policy.warnings if share >= Fraction(t, 100)]
        warning = reached[-1] if reached else None
    possible = case.possible_actions()
    return TodoItem(
        case_id=case.case_id,
        kind=case.kind.value,
        township=case.township,
        title=case.title,
        state=case.state,
        role=unit.role,
        owed=owed,
        deadline=deadline,
        warning=warning,
        overdue=today > deadline,
        days_left=(deadline - today).days,
        key_chase=case.key_chase,
        extension_pending=case.pending_extension is not None,
        may_apply_extension=unit.role is HandlingRole.lead and Action.apply_extension in possible,
        co_opinions_missing=case.opinions_missing() if unit.role is HandlingRole.lead else (),
        return_by=(
            clocks.return_by(case.assigned_on)
            if Action.return_ in possible and case.assigned_on
            else None
        ),
    )


def todo_list(
    cases: Iterable[Case], unit_id: str, today: date, clocks: Clocks, policy: ChasePolicy
) -> list[TodoItem]:
    """Return the unit's to-do items, earliest deadline first (key-chased first on a tie)."""
    items = [i for c in cases if (i := todo_item(c, unit_id, today, clocks, policy)) is not None]
    return sorted(items, key=lambda i: (i.deadline, not i.key_chase, i.case_id))
