"""Shared helpers for the cases tests: actors, clocks, cases driven to any state, invariants."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from cases.domain import handling, intake
from cases.domain.clocks import Clocks, add_months
from cases.domain.model import Case
from cases.domain.records import Actor, CoOpinion, Unit
from cases.domain.states import FINAL, HANDLING, Action, State
from cases.domain.workdays import WorkCalendar
from contracts.vocabulary import (
    CaseKind,
    HandlingRole,
    NotAcceptedReason,
    ReplyClass,
    Satisfaction,
)
from kit.clock import CHINA

TOWNSHIP = "330102001"
SUBMITTER = "dep-1"
CO_DEPUTY = "dep-2"
LEAD = Unit("unit-traffic", "县交通运输局", HandlingRole.lead)
CO = Unit("unit-water", "县水利局", HandlingRole.co)
OTHER_LEAD = Unit("unit-housing", "县住建局", HandlingRole.lead)

STAFF = Actor("u-staff", frozenset({"township_staff"}))
COUNTY = Actor("u-county", frozenset({"county_admin"}))
LEADER = Actor("u-leader", frozenset({"county_leader"}))
DEPUTY = Actor("u-dep-1", frozenset({"deputy"}), deputy_id=SUBMITTER)
OTHER_DEPUTY = Actor("u-dep-2", frozenset({"deputy"}), deputy_id=CO_DEPUTY)
LEAD_USER = Actor("u-lead", frozenset({"handling_unit"}), unit_id=LEAD.unit_id)
CO_USER = Actor("u-co", frozenset({"handling_unit"}), unit_id=CO.unit_id)


def at(day: date, hour: int = 10) -> datetime:
    """Return an aware UTC timestamp for ``hour`` o'clock in China on ``day``."""
    return datetime.combine(day, time(hour), CHINA).astimezone(UTC)


def clocks() -> Clocks:
    """Return the default clocks on the official calendar."""
    return Clocks(WorkCalendar())


def new_case(
    kind: CaseKind = CaseKind.suggestion,
    *,
    case_id: str = "case-1",
    on: date = date(2025, 3, 3),
    township: str = TOWNSHIP,
    deputies: tuple[str, ...] = (SUBMITTER, CO_DEPUTY),
) -> Case:
    """Receive a case about a road on ``on``."""
    return intake.receive(
        case_id=case_id,
        kind=kind,
        township=township,
        title="修缮村道",
        content="村口道路破损，雨天积水，请求修缮。",
        category="交通",
        deputy_ids=deputies,
        by=STAFF,
        at=at(on),
        clocks=clocks(),
    )


def _accepted(case: Case, day: date) -> None:
    intake.accept(case, by=STAFF, at=at(day))


def _assigned(case: Case, day: date) -> None:
    _accepted(case, day)
    handling.assign(case, lead=LEAD, co=(CO,), by=STAFF, at=at(day), clocks=clocks())


def _replied(case: Case, day: date, reply_class: ReplyClass = ReplyClass.A) -> None:
    _assigned(case, day)
    follow = day + timedelta(days=60) if reply_class in handling.FOLLOW_UP_CLASSES else None
    handling.reply(
        case,
        unit_id=LEAD.unit_id,
        reply_class=reply_class,
        text="已列入年度计划并完成修缮。",
        by=LEAD_USER,
        at=at(day + timedelta(days=20)),
        co_opinions=(CoOpinion(CO.unit_id, "同意主办意见。"),),
        follow_up_due_on=follow,
    )


def _feedback(case: Case, day: date, rating: Satisfaction, comment: str = "") -> None:
    handling.give_feedback(
        case,
        process=rating,
        result=rating,
        by=DEPUTY,
        at=at(day + timedelta(days=30)),
        clocks=clocks(),
        comment=comment,
    )


def _merged(case: Case, day: date) -> None:
    survivor = new_case(case.kind, case_id="case-survivor", on=day)
    intake.merge(case, survivor=survivor, by=STAFF, at=at(day))


def _returned(case: Case, day: date) -> None:
    _assigned(case, day)
    handling.return_(
        case,
        unit_id=LEAD.unit_id,
        reason="不属本单位职责",
        by=LEAD_USER,
        at=at(day + timedelta(days=2)),
        clocks=clocks(),
    )


def _rehandling(case: Case, day: date) -> None:
    _replied(case, day)
    _feedback(case, day, Satisfaction.unsatisfied, "道路仍未修好")


def _follow_up(case: Case, day: date) -> None:
    _replied(case, day, ReplyClass.B)
    _feedback(case, day, Satisfaction.satisfied)


def _closed(case: Case, day: date) -> None:
    _replied(case, day)
    _feedback(case, day, Satisfaction.satisfied)


def _answered(case: Case, day: date) -> None:
    intake.answer_on_spot(case, answer="已当场解释政策。", by=STAFF, at=at(day))


def _not_accepted(case: Case, day: date) -> None:
    intake.not_accept(case, reason=NotAcceptedReason.judicial_case, by=STAFF, at=at(day))


def _to_suggestion(case: Case, day: date) -> None:
    intake.to_suggestion(case, suggestion_case_id="case-new", by=STAFF, at=at(day))


def _received(case: Case, day: date) -> None:
    return None


PATHS: dict[State, Callable[[Case, date], None]] = {
    State.received: _received,
    State.answered_on_spot: _answered,
    State.not_accepted: _not_accepted,
    State.merged: _merged,
    State.to_suggestion: _to_suggestion,
    State.accepted: _accepted,
    State.assigned: _assigned,
    State.returned: _returned,
    State.replied: _replied,
    State.rehandling: _rehandling,
    State.follow_up: _follow_up,
    State.closed: _closed,
}
"""How to drive a freshly received case into each state."""


def case_in(state: State, kind: CaseKind = CaseKind.opinion, on: date = date(2025, 3, 3)) -> Case:
    """Return a case of ``kind`` driven along the usual path into ``state``."""
    case = new_case(kind, on=on)
    PATHS[state](case, on)
    assert case.state is state
    return case


def inconsistencies(case: Case, calendar: WorkCalendar) -> list[str]:
    """Return every broken invariant of ``case`` (empty when consistent)."""
    problems: list[str] = []
    timeline = case.timeline
    if len(timeline) != case.version:
        problems.append("one timeline entry per version")
    if timeline[-1].after is not case.state:
        problems.append("the last timeline entry ends in the current state")
    if any(a.after is not b.before for a, b in itertools.pairwise(timeline)):
        problems.append("timeline entries chain from state to state")
    if any(b.at < a.at for a, b in itertools.pairwise(timeline)):
        problems.append("timeline is chronological")
    extensions = [e for e in timeline if e.action is Action.extend]
    if len(extensions) > 1 or (extensions and case.extension is None):
        problems.append("at most one extension, and it is recorded")
    ext = case.extension
    if ext is not None and not (
        ext.previous_due_on < ext.due_on <= add_months(ext.previous_due_on, 3)
    ):
        problems.append("an extension moves the due date later by at most 3 months")
    if case.due_on is not None and not calendar.is_workday(case.due_on):
        problems.append("due dates fall on working days")
    if case.state in HANDLING and (case.lead is None or case.due_on is None):
        problems.append("a handled case has a lead unit and a due date")
    if sum(u.role is HandlingRole.lead for u in case.units) > 1:
        problems.append("at most one lead unit")
    if case.state is State.returned and case.units:
        problems.append("a returned case has no units")
    if case.solved and case.state is not State.closed:
        problems.append("solved only once closed")
    resolved = bool(timeline) and timeline[-1].action is Action.resolve
    if case.solved and case.reply_class is not ReplyClass.A and not resolved:
        problems.append("solved means class A or a follow-up reported solved")
    if case.state in FINAL and (case.solved or case.replies):
        problems.append("a case ended at triage is neither replied nor solved")
    reopened = sum(
        e.action is Action.reopen or (e.action is Action.feedback and e.after is State.rehandling)
        for e in timeline
    )
    if case.round != 1 + reopened:
        problems.append("one round per reopening")
    if any(f.deputy_id != case.submitter for f in case.feedback):
        problems.append("feedback only from the submitting deputy")
    if len(case.feedback) > len(case.replies):
        problems.append("feedback follows a reply")
    if case.state is State.follow_up and case.reply_class not in handling.FOLLOW_UP_CLASSES:
        problems.append("only B and C replies stay in follow-up")
    return problems
