"""Handling (办理): assign, return, extend, key-chase, reply, feedback, follow-up and reopening."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

from cases.domain.clocks import Clocks, handling_clock
from cases.domain.errors import ForbiddenError, invalid
from cases.domain.model import MAX_ROUNDS, Case, day_of, required_text
from cases.domain.records import (
    COUNTY_ROLES,
    Actor,
    CoOpinion,
    Extension,
    ExtensionRequest,
    Feedback,
    LeaderDecision,
    Reply,
    Unit,
    UnitOpinion,
)
from cases.domain.states import Action, State
from contracts.vocabulary import HandlingRole, ReopenReason, ReplyClass, Satisfaction

FOLLOW_UP_CLASSES = frozenset({ReplyClass.B, ReplyClass.C})
"""Replies that promise a date and stay in follow-up (跟踪办理) until solved."""


def assign(
    case: Case,
    *,
    lead: Unit,
    co: Sequence[Unit] = (),
    by: Actor,
    at: datetime,
    clocks: Clocks,
    comment: str = "",
) -> None:
    """Assign (交办) to one lead unit and any co-handlers; the reply clock starts today."""
    case.require(Action.assign)
    day = day_of(at)
    units = (lead, *co)
    if lead.role is not HandlingRole.lead or any(u.role is not HandlingRole.co for u in co):
        raise invalid("units", "exactly one lead unit (主办); the others co-handle", "unit_roles")
    if len({u.unit_id for u in units}) != len(units):
        raise invalid("units", "each unit appears once", "duplicate_unit")
    if any(not u.unit_id or not u.name.strip() for u in units):
        raise invalid("units", "every unit needs an id and a name", "missing_unit")
    before = case.state
    case.units = units
    case.assignment += 1
    case.assigned_on = day
    case.clock = handling_clock(case.kind, complex_=case.complex_)
    case.clock_start = day
    case.due_on = clocks.due_on(case.clock, day, case.category)
    case.state = State.assigned
    case.record(Action.assign, before, by, at, comment)


def return_(
    case: Case, *, unit_id: str, reason: str, by: Actor, at: datetime, clocks: Clocks
) -> None:
    """Return (退办) within the window: a lead sends the case back, a co-handler just leaves."""
    case.require(Action.return_)
    day = day_of(at)
    unit = next((u for u in case.units if u.unit_id == unit_id), None)
    if unit is None:
        raise invalid("unit_id", "the unit does not handle this case", "unknown_unit")
    text = required_text("reason", reason, 2000)
    assert case.assigned_on is not None  # set by assign, the only way into `assigned`
    last_day = clocks.return_by(case.assigned_on)
    if day > last_day:
        raise invalid("at", f"the return window closed on {last_day.isoformat()}", "too_late")
    before = case.state
    if unit.role is HandlingRole.co:
        case.units = tuple(u for u in case.units if u.unit_id != unit_id)
    else:
        case.units = ()
        case.clock = case.clock_start = case.due_on = None
        case.state = State.returned
    case.record(Action.return_, before, by, at, f"{unit_id}: {text}")


def extend(
    case: Case, *, due_on: date, reason: str, by: Actor, at: datetime, clocks: Clocks
) -> None:
    """Grant the one extension (延期), approved by a county role, to at most the policy's limit.

    A pending application (申请延期) is granted with it, whatever date the county role chose.
    """
    case.require(Action.extend)
    day = day_of(at)
    if not by.has(*COUNTY_ROLES):
        raise ForbiddenError("an extension is approved by the county standing committee")
    text = required_text("reason", reason, 2000)
    _check_later_due(case, due_on, day, clocks)
    assert case.due_on is not None  # checked above
    case.extension = Extension(case.due_on, due_on, text, by.user_id, day)
    pending = case.pending_extension
    if pending is not None:
        case.extension_requests[-1] = replace(
            pending, decision="granted", decided_by=by.user_id, decided_on=day
        )
    case.due_on = due_on
    case.record(Action.extend, case.state, by, at, text)


def apply_extension(
    case: Case, *, unit_id: str, due_on: date, reason: str, by: Actor, at: datetime, clocks: Clocks
) -> ExtensionRequest:
    """Record the lead unit's application for the extension (申请延期); a county role decides."""
    case.require(Action.apply_extension)
    day = day_of(at)
    lead = case.lead
    if lead is None or unit_id != lead.unit_id:
        raise invalid("unit_id", "the lead unit (主办) applies for the extension", "not_lead")
    text = required_text("reason", reason, 500)
    _check_later_due(case, due_on, day, clocks)
    request = ExtensionRequest(unit_id, due_on, text, by.user_id, day, case.round)
    case.extension_requests.append(request)
    case.record(Action.apply_extension, case.state, by, at, f"{due_on.isoformat()}: {text}")
    return request


def refuse_extension(case: Case, *, reason: str, by: Actor, at: datetime) -> ExtensionRequest:
    """Refuse the pending application for extension, saying why; the due date stays."""
    case.require(Action.refuse_extension)
    day = day_of(at)
    if not by.has(*COUNTY_ROLES):
        raise ForbiddenError("an extension is decided by the county standing committee")
    text = required_text("reason", reason, 500)
    pending = case.pending_extension
    assert pending is not None  # required above
    refused = replace(
        pending, decision="refused", decided_by=by.user_id, decided_on=day, answer=text
    )
    case.extension_requests[-1] = refused
    case.record(Action.refuse_extension, case.state, by, at, text)
    return refused


def _check_later_due(case: Case, due_on: date, day: date, clocks: Clocks) -> None:
    """Refuse a new due date that is not later, beyond the limit, off a working day, or too late."""
    assert case.due_on is not None  # every handling state has a due date
    if day > case.due_on:
        raise invalid(
            "due_on",
            f"an extension is granted before the due date ({case.due_on.isoformat()}), not after",
            "too_late",
        )
    limit = clocks.extension_limit(case.due_on, case.clock, case.clock_start)
    if due_on <= case.due_on:
        raise invalid("due_on", "an extension moves the due date later", "not_later")
    if due_on > limit:
        raise invalid(
            "due_on", f"at most until {limit.isoformat()} (the statutory limit)", "beyond_limit"
        )
    if not clocks.calendar.is_workday(due_on):
        raise invalid("due_on", "a due date falls on a working day", "not_workday")


def record_co_opinion(
    case: Case, *, unit_id: str, text: str, by: Actor, at: datetime
) -> UnitOpinion:
    """Record a co-handler's own opinion (会办意见) for this round; a later one replaces it."""
    case.require(Action.co_opinion)
    day = day_of(at)
    if unit_id not in {u.unit_id for u in case.co_units}:
        raise invalid("unit_id", "only a co-handling unit (会办) gives a co-opinion", "not_co_unit")
    body = required_text("text", text, 5000)
    opinion = UnitOpinion(unit_id, body, case.round, day, by.user_id)
    kept = [o for o in case.unit_opinions if (o.unit_id, o.round) != (unit_id, case.round)]
    replaced = len(kept) < len(case.unit_opinions)
    case.unit_opinions = [*kept, opinion]
    note = f"{unit_id}: 会办意见" + ("（更新）" if replaced else "")
    case.record(Action.co_opinion, case.state, by, at, note)
    return opinion


def designate_key_chase(
    case: Case,
    *,
    by: Actor,
    at: datetime,
    comment: str = "",
    decision: LeaderDecision | None = None,
) -> None:
    """Flag the case for key chasing (重点督办): a county leader, or county staff on their behalf.

    County staff record a decision taken at a meeting: the leader and the meeting's reference
    are required then and kept with the case (``key_chase_decision``).
    """
    case.require(Action.designate_key_chase)
    day = day_of(at)
    if not by.has("county_leader", "county_admin"):
        raise ForbiddenError("key chasing is designated by county leaders")
    if decision is None and not by.has("county_leader"):
        raise invalid(
            "decision", "name the leader and the meeting that decided it", "missing_decision"
        )
    note = comment
    if decision is not None:
        leader = required_text("decision.leader", decision.leader, 100)
        meeting = required_text("decision.meeting_ref", decision.meeting_ref, 200)
        if decision.decided_on > day:
            raise invalid(
                ("decision", "decided_on"), "a decision taken, not a future one", "future"
            )
        decision = LeaderDecision(leader, meeting, decision.decided_on, by.user_id)
        case.key_chase_decision = decision
        behalf = f"代{leader}记录（{meeting}，{decision.decided_on.isoformat()}）"
        note = f"{behalf} {comment}".strip()
    case.key_chase = True
    case.record(Action.designate_key_chase, case.state, by, at, note)


def reply(
    case: Case,
    *,
    unit_id: str,
    reply_class: ReplyClass,
    text: str,
    by: Actor,
    at: datetime,
    co_opinions: Sequence[CoOpinion] = (),
    follow_up_due_on: date | None = None,
    require_co_opinions: bool = False,
) -> None:
    """Record the lead unit's reply (答复) with its class; B and C promise a date.

    The reply states every co-handler's opinion: those given with it (entered on paper's behalf)
    and those the co-handlers recorded themselves this round. One still missing is refused when
    ``require_co_opinions``, else noted on the timeline (the lead unit was warned on the case).
    """
    case.require(Action.reply)
    day = day_of(at)
    lead = case.lead
    if lead is None or unit_id != lead.unit_id:
        raise invalid("unit_id", "the lead unit (主办) replies", "not_lead")
    body = required_text("text", text)
    co_ids = {u.unit_id for u in case.co_units}
    seen: set[str] = set()
    for i, opinion in enumerate(co_opinions):
        if opinion.unit_id not in co_ids or opinion.unit_id in seen:
            raise invalid(("co_opinions", i, "unit_id"), "one opinion per co-handler", "co_unit")
        required_text("co_opinions", opinion.text)
        seen.add(opinion.unit_id)
    recorded = [
        CoOpinion(o.unit_id, o.text) for u, o in case.opinions_now().items() if u not in seen
    ]
    stated = (*co_opinions, *recorded)
    missing = [u.unit_id for u in case.co_units if u.unit_id not in {o.unit_id for o in stated}]
    if missing and require_co_opinions:
        raise invalid(
            "co_opinions",
            f"the co-handlers' opinions (会办意见) are not in yet: {', '.join(missing)}",
            "co_opinion_missing",
        )
    if reply_class in FOLLOW_UP_CLASSES and (follow_up_due_on is None or follow_up_due_on < day):
        raise invalid("follow_up_due_on", "B and C replies promise a date", "missing_date")
    if reply_class not in FOLLOW_UP_CLASSES and follow_up_due_on is not None:
        raise invalid("follow_up_due_on", "only B and C replies promise a date", "unexpected")
    assert case.due_on is not None
    before = case.state
    case.replies.append(
        Reply(
            case.round,
            unit_id,
            reply_class,
            body,
            day,
            case.due_on,
            stated,
            follow_up_due_on,
        )
    )
    case.state = State.replied
    note = f"class {reply_class.value}" + (
        f"; 会办意见未到: {', '.join(missing)}" if missing else ""
    )
    case.record(Action.reply, before, by, at, note)


def give_feedback(
    case: Case,
    *,
    process: Satisfaction,
    result: Satisfaction,
    by: Actor,
    at: datetime,
    clocks: Clocks,
    comment: str = "",
) -> None:
    """Take the submitting deputy's rating; 不满意 reopens once, B/C go to follow-up, else close."""
    case.require(Action.feedback)
    day = day_of(at)
    if by.deputy_id != case.submitter:
        raise ForbiddenError("only the submitting deputy gives feedback on this case")
    rating = Feedback(case.round, case.submitter, process, result, day)
    if rating.unsatisfied and comment.strip() == "":
        raise invalid("comment", "say why when unsatisfied", "missing_text")
    case.feedback.append(rating)
    note = f"process {process.value}, result {result.value}" + (f": {comment}" if comment else "")
    if rating.unsatisfied and case.round < MAX_ROUNDS:
        _next_round(case, Action.feedback, by, at, clocks, note)
        return
    before = case.state
    if case.reply_class in FOLLOW_UP_CLASSES:
        case.state = State.follow_up
    else:
        case.state = State.closed
        case.solved = case.reply_class is ReplyClass.A and not rating.unsatisfied  # 不满意 ≠ 办成
    case.record(Action.feedback, before, by, at, note)


def resolve(case: Case, *, by: Actor, at: datetime, comment: str = "") -> None:
    """Close a follow-up item that is now actually solved (办成)."""
    case.require(Action.resolve)
    day_of(at)
    before = case.state
    case.state = State.closed
    case.solved = True
    case.record(Action.resolve, before, by, at, comment)


def carry_over(case: Case, *, into_year: int, by: Actor, at: datetime) -> None:
    """Carry an unsolved follow-up item into the next year's follow-up (跟踪办理)."""
    case.require(Action.carry_over)
    day = day_of(at)
    last = case.last_reply
    current = case.carried_into or (last.replied_on.year if last else day.year)
    if into_year != current + 1:
        raise invalid("into_year", f"carry over into {current + 1}", "not_next_year")
    case.carried_into = into_year
    case.record(Action.carry_over, case.state, by, at, f"carried into {into_year}")


def reopen(
    case: Case, *, reason: ReopenReason, by: Actor, at: datetime, clocks: Clocks, comment: str
) -> None:
    """Hand a closed or follow-up case back for re-handling, e.g. on a leader's 批示."""
    case.require(Action.reopen)
    day_of(at)
    if not by.has(*COUNTY_ROLES, "township_staff"):
        raise ForbiddenError("cases are reopened by township or county staff")
    if reason is ReopenReason.unsatisfied:
        raise invalid("reason", "unsatisfied feedback reopens by itself", "feedback_only")
    text = required_text("comment", comment, 2000)
    _next_round(case, Action.reopen, by, at, clocks, f"{reason.value}: {text}")


def instruct(case: Case, *, leader: str, text: str, by: Actor, at: datetime, clocks: Clocks) -> str:
    """Turn a leader's 批示 into work; return the outcome (reopened, key_chase or noted).

    A closed or followed-up case is reopened for re-handling, a case still being handled is
    flagged for key chasing; otherwise (already key-chased, or ended at triage) the instruction
    is noted on the timeline. Every outcome leaves the instruction's text on the timeline.
    """
    day_of(at)
    note = f"{required_text('leader', leader, 100)}批示：{required_text('text', text, 2000)}"
    if Action.reopen in case.allowed_actions():
        reopen(case, reason=ReopenReason.instruction, by=by, at=at, clocks=clocks, comment=note)
        return "reopened"
    if Action.designate_key_chase in case.allowed_actions():
        designate_key_chase(case, by=by, at=at, comment=note)
        return "key_chase"
    case.record(Action.instruction, case.state, by, at, note)
    return "noted"


def _next_round(
    case: Case, action: Action, by: Actor, at: datetime, clocks: Clocks, note: str
) -> None:
    day = day_of(at)
    before = case.state
    case.round += 1
    case.solved = False
    case.clock = handling_clock(case.kind, rehandling=True)
    case.clock_start = day
    case.due_on = clocks.due_on(case.clock, day, case.category)
    case.state = State.rehandling
    case.record(action, before, by, at, note)
