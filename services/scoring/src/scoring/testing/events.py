"""Contract events as the deputies and cases services publish them (tests and the demo)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from contracts import cases as c, deputies as d
from contracts.vocabulary import (
    ActivityType,
    Attendance,
    CaseKind,
    Clock,
    DeputyStatus,
    Gender,
    HandlingRole,
    Level,
    ReopenReason,
    ReplyClass,
    SuggestionTiming,
    TownshipKind,
)

TOWNSHIP_LEVEL = frozenset({Level.township})


def township(
    code: str, name: str = "东湖镇", kind: TownshipKind = TownshipKind.town
) -> d.TownshipRegistered:
    """Return a township's registration."""
    return d.TownshipRegistered(township=code, county=code[:6], name=name, kind=kind)


def deputy(
    deputy_id: str, code: str, name: str = "张三", *, version: int = 1
) -> d.DeputyRegistered:
    """Return a deputy's registration on a township's roster."""
    return d.DeputyRegistered(
        deputy_id=deputy_id,
        township=code,
        name=name,
        gender=Gender.female,
        levels=TOWNSHIP_LEVEL,
        term=18,
        status=DeputyStatus.active,
        aggregate_version=version,
    )


def logged(
    activity_id: str,
    code: str,
    kind: ActivityType,
    on: date,
    marks: dict[str, Attendance],
    *,
    hours: float = 3,
) -> d.ActivityLogged:
    """Return an activity logged with its attendance."""
    return d.ActivityLogged(
        activity_id=activity_id,
        township=code,
        activity_type=kind,
        title="代表活动",
        levels=TOWNSHIP_LEVEL,
        held_on=on,
        duration_hours=hours,
        attendance=tuple(d.AttendanceMark(deputy_id=k, attendance=v) for k, v in marks.items()),
        aggregate_version=1,
    )


def suggestion(case_id: str, code: str, lead: str, *co: str, on: date) -> c.SuggestionSubmitted:
    """Return a suggestion filed by ``lead`` with joint signatories ``co``."""
    return c.SuggestionSubmitted(
        case_id=case_id,
        township=code,
        title="修缮村道",
        category="交通",
        level=Level.township,
        timing=SuggestionTiming.session,
        lead_deputy_id=lead,
        co_deputy_ids=co,
        submitted_on=on,
    )


def replied(case_id: str, code: str, deputies: tuple[str, ...], on: date) -> c.CaseReplied:
    """Return a class-A reply on time."""
    return c.CaseReplied(
        case_id=case_id,
        township=code,
        kind=CaseKind.suggestion,
        unit_id="unit-traffic",
        reply_class=ReplyClass.A,
        replied_on=on,
        due_on=on,
        on_time=True,
        deputy_ids=deputies,
    )


def reopened(case_id: str, code: str, on: date, round_: int = 2) -> c.CaseReopened:
    """Return a case handed back for re-handling (重新办理) on a leader's instruction."""
    return c.CaseReopened(
        case_id=case_id,
        township=code,
        reason=ReopenReason.instruction,
        reopened_on=on,
        due_on=on,
        round=round_,
    )


def assigned(
    case_id: str, code: str, on: date, *, kind: CaseKind = CaseKind.suggestion, key_chase: bool
) -> c.CaseAssigned:
    """Return a case assigned (交办) to one lead unit, flagged for 重点督办 or not."""
    return c.CaseAssigned(
        case_id=case_id,
        township=code,
        kind=kind,
        title="修缮村道",
        units=(
            c.HandlingUnit(unit_id="unit-traffic", name="县交通运输局", role=HandlingRole.lead),
        ),
        assigned_on=on,
        due_on=on,
        clock=Clock.suggestion if kind is CaseKind.suggestion else Clock.opinion,
        key_chase=key_chase,
    )


def overdue(case_id: str, code: str, due_on: date, round_: int = 1) -> c.CaseOverdue:
    """Return a case's overdue notice for a handling round."""
    return c.CaseOverdue(
        case_id=case_id, township=code, unit_ids=("unit-traffic",), due_on=due_on, round=round_
    )


def due_date_moved(
    case_id: str,
    code: str,
    before: date,
    after: date,
    *,
    clock: Literal["reply", "assignment"] = "reply",
) -> c.CaseDueDateRecomputed:
    """Return a deadline moved by a holiday arrangement loaded later."""
    return c.CaseDueDateRecomputed(
        case_id=case_id,
        township=code,
        clock=clock,
        previous_due_on=before,
        due_on=after,
        calendar_year=after.year,
    )


def assignment_chased(
    case_id: str, code: str, assign_by: date, *, notice: Literal["warning", "overdue"] = "overdue"
) -> c.CaseAssignmentChased:
    """Return the township office chased for an assignment (交办) near or past its deadline."""
    return c.CaseAssignmentChased(
        case_id=case_id,
        township=code,
        notice=notice,
        owed_by=code,
        received_on=date(assign_by.year, 1, 1),
        assign_by=assign_by,
    )
