"""Handling rules: assignment and its clock, return window, extension, reply, feedback, follow-up."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from cases_harness import (
    CO,
    CO_USER,
    COUNTY,
    DEPUTY,
    LEAD,
    LEAD_USER,
    LEADER,
    OTHER_DEPUTY,
    OTHER_LEAD,
    STAFF,
    at,
    case_in,
    clocks,
    new_case,
)

from cases.domain import handling, intake
from cases.domain.chasing import RunningClock
from cases.domain.errors import ForbiddenError, InputError
from cases.domain.model import Case
from cases.domain.records import Actor, CoOpinion, Unit
from cases.domain.states import State
from contracts.vocabulary import (
    CaseKind,
    Clock,
    HandlingRole,
    ReopenReason,
    ReplyClass,
    Satisfaction,
)

SAT, UNSAT = Satisfaction.satisfied, Satisfaction.unsatisfied


def assigned(on: date = date(2025, 7, 1), *, complex_: bool = False) -> Case:
    """Return a suggestion assigned on ``on`` to the lead and the co-handler."""
    case = new_case(on=on)
    intake.accept(case, by=STAFF, at=at(on), complex_=complex_)
    handling.assign(case, lead=LEAD, co=(CO,), by=STAFF, at=at(on), clocks=clocks())
    return case


def reply(case: Case, cls: ReplyClass, on: date, follow: date | None = None) -> None:
    """Reply as the lead unit."""
    handling.reply(
        case,
        unit_id=LEAD.unit_id,
        reply_class=cls,
        text="答复正文",
        by=LEAD_USER,
        at=at(on),
        follow_up_due_on=follow,
    )


def rate(case: Case, rating: Satisfaction, on: date, comment: str = "仍未解决") -> None:
    """Give the submitting deputy's feedback."""
    handling.give_feedback(
        case, process=rating, result=rating, by=DEPUTY, at=at(on), clocks=clocks(), comment=comment
    )


def unchanged(case: Case) -> dict[str, object]:
    """Snapshot the case to show a refused action wrote nothing."""
    return copy.deepcopy(vars(case))


def test_assignment_starts_the_reply_clock() -> None:
    case = assigned(date(2025, 7, 1))
    assert (case.clock, case.assigned_on, case.due_on) == (
        Clock.suggestion,
        date(2025, 7, 1),
        date(2025, 10, 9),  # 1 Oct is National Day: the next working day
    )
    assert case.running_clock() == RunningClock(date(2025, 7, 1), date(2025, 10, 9), 1)
    assert case.lead == LEAD
    assert case.co_units == (CO,)
    assert case.assignment == 1


def test_complex_suggestions_get_six_months() -> None:
    case = assigned(date(2025, 4, 1), complex_=True)
    assert (case.clock, case.due_on) == (Clock.complex_suggestion, date(2025, 10, 9))


@pytest.mark.parametrize(
    ("lead", "co"),
    [
        (CO, ()),
        (LEAD, (OTHER_LEAD,)),
        (LEAD, (Unit(LEAD.unit_id, "重复", HandlingRole.co),)),
        (Unit("", "无名", HandlingRole.lead), ()),
    ],
)
def test_exactly_one_lead_and_distinct_units(lead: Unit, co: tuple[Unit, ...]) -> None:
    case = case_in(State.accepted, CaseKind.suggestion)
    before = unchanged(case)
    with pytest.raises(InputError):
        handling.assign(case, lead=lead, co=co, by=STAFF, at=at(date(2025, 3, 4)), clocks=clocks())
    assert vars(case) == before


def test_the_lead_returns_within_seven_working_days_and_the_case_is_reassigned() -> None:
    case = assigned(date(2025, 9, 26))
    handling.return_(
        case,
        unit_id=LEAD.unit_id,
        reason="不属本单位职责",
        by=LEAD_USER,
        at=at(date(2025, 10, 13)),
        clocks=clocks(),
    )
    assert case.state is State.returned
    assert (case.units, case.due_on, case.running_clock()) == ((), None, None)
    handling.assign(case, lead=OTHER_LEAD, by=STAFF, at=at(date(2025, 10, 14)), clocks=clocks())
    assert (case.assignment, case.assigned_on, case.due_on) == (
        2,
        date(2025, 10, 14),
        date(2026, 1, 14),
    )


def test_a_late_return_is_refused() -> None:
    case = assigned(date(2025, 9, 26))
    before = unchanged(case)
    with pytest.raises(InputError, match="2025-10-13"):
        handling.return_(
            case,
            unit_id=LEAD.unit_id,
            reason="不属本单位职责",
            by=LEAD_USER,
            at=at(date(2025, 10, 14)),
            clocks=clocks(),
        )
    assert vars(case) == before


def test_a_co_handler_returning_just_leaves() -> None:
    case = assigned()
    handling.return_(
        case,
        unit_id=CO.unit_id,
        reason="无相关职能",
        by=CO_USER,
        at=at(date(2025, 7, 2)),
        clocks=clocks(),
    )
    assert (case.state, case.units) == (State.assigned, (LEAD,))


def test_returning_needs_a_unit_of_the_case_and_a_reason() -> None:
    case = assigned()
    with pytest.raises(InputError):
        handling.return_(
            case,
            unit_id="unit-x",
            reason="x",
            by=LEAD_USER,
            at=at(date(2025, 7, 2)),
            clocks=clocks(),
        )
    with pytest.raises(InputError):
        handling.return_(
            case,
            unit_id=LEAD.unit_id,
            reason="",
            by=LEAD_USER,
            at=at(date(2025, 7, 2)),
            clocks=clocks(),
        )


def extend(case: Case, due: date, by: Actor = COUNTY) -> None:
    """Grant an extension to ``due``."""
    handling.extend(
        case, due_on=due, reason="需统筹资金", by=by, at=at(date(2025, 9, 1)), clocks=clocks()
    )


def test_an_extension_moves_the_due_date_once_within_the_statutory_limit() -> None:
    case = assigned(date(2025, 7, 1))  # due 9 Oct 2025; six months from assignment: 4 Jan 2026
    extend(case, date(2026, 1, 4))
    assert case.due_on == date(2026, 1, 4)
    assert case.extension is not None
    assert (case.extension.previous_due_on, case.extension.granted_by) == (
        date(2025, 10, 9),
        COUNTY.user_id,
    )


@pytest.mark.parametrize(
    ("due", "problem"),
    [
        (date(2026, 1, 9), "beyond_limit"),  # 3 months past the due date, 6+ after assignment
        (date(2025, 10, 9), "not_later"),
        (date(2025, 10, 1), "not_later"),
        (date(2025, 11, 1), "not_workday"),  # a Saturday
    ],
)
def test_an_extension_beyond_the_limit_or_not_later_is_refused(due: date, problem: str) -> None:
    case = assigned(date(2025, 7, 1))
    before = unchanged(case)
    with pytest.raises(InputError) as caught:
        extend(case, due)
    assert caught.value.errors[0].type == problem
    assert vars(case) == before


def test_an_extension_never_takes_a_complex_suggestion_past_six_months() -> None:
    case = assigned(date(2025, 7, 1), complex_=True)
    assert case.due_on == date(2026, 1, 4)  # six months already: nothing left to extend
    with pytest.raises(InputError) as caught:
        extend(case, date(2026, 3, 31))  # within 3 months of the due date, past six months
    assert caught.value.errors[0].type == "beyond_limit"
    assert case.extension is None


def test_an_extension_is_granted_before_the_due_date_only() -> None:
    case = assigned(date(2025, 7, 1))  # due 9 Oct 2025
    with pytest.raises(InputError) as caught:
        handling.extend(
            case,
            due_on=date(2025, 11, 3),
            reason="补批",
            by=COUNTY,
            at=at(date(2025, 10, 10)),
            clocks=clocks(),
        )
    assert caught.value.errors[0].type == "too_late"
    assert case.due_on == date(2025, 10, 9)


def test_only_a_county_role_grants_an_extension() -> None:
    case = assigned(date(2025, 7, 1))
    with pytest.raises(ForbiddenError):
        extend(case, date(2025, 11, 3), by=STAFF)
    extend(case, date(2025, 11, 3), by=LEADER)
    assert case.due_on == date(2025, 11, 3)


def test_only_county_leaders_designate_key_chasing() -> None:
    case = assigned()
    with pytest.raises(ForbiddenError):
        handling.designate_key_chase(case, by=STAFF, at=at(date(2025, 7, 2)))
    with pytest.raises(InputError):  # county staff only record a leader's decision for them
        handling.designate_key_chase(case, by=COUNTY, at=at(date(2025, 7, 2)))
    handling.designate_key_chase(case, by=LEADER, at=at(date(2025, 7, 2)), comment="主任会议确定")
    assert case.key_chase


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"unit_id": CO.unit_id}, "unit_id"),
        ({"text": ""}, "text"),
        ({"reply_class": ReplyClass.B}, "follow_up_due_on"),
        ({"reply_class": ReplyClass.C, "follow_up_due_on": date(2025, 7, 1)}, "follow_up_due_on"),
        ({"follow_up_due_on": date(2025, 12, 1)}, "follow_up_due_on"),
        ({"co_opinions": (CoOpinion("unit-x", "同意"),)}, "co_opinions"),
        ({"co_opinions": (CoOpinion(CO.unit_id, "a"), CoOpinion(CO.unit_id, "b"))}, "co_opinions"),
    ],
)
def test_a_bad_reply_is_refused(changes: dict[str, object], loc: str) -> None:
    case = assigned()
    before = unchanged(case)
    fields: dict[str, object] = {
        "unit_id": LEAD.unit_id,
        "reply_class": ReplyClass.A,
        "text": "已解决",
        "by": LEAD_USER,
        "at": at(date(2025, 8, 1)),
    }
    fields.update(changes)
    with pytest.raises(InputError) as caught:
        handling.reply(case, **fields)  # type: ignore[arg-type]
    assert caught.value.errors[0].loc[0] == loc
    assert vars(case) == before


def test_a_reply_records_class_co_opinions_and_whether_it_was_on_time() -> None:
    case = assigned(date(2025, 7, 1))
    handling.reply(
        case,
        unit_id=LEAD.unit_id,
        reply_class=ReplyClass.A,
        text="已修缮",
        by=LEAD_USER,
        at=at(date(2025, 10, 10)),
        co_opinions=(CoOpinion(CO.unit_id, "同意"),),
    )
    last = case.last_reply
    assert last is not None
    assert (last.reply_class, last.due_on, last.on_time, last.round) == (
        ReplyClass.A,
        date(2025, 10, 9),
        False,
        1,
    )
    assert last.co_opinions == (CoOpinion(CO.unit_id, "同意"),)
    assert not case.on_time
    assert case.state is State.replied
    assert not case.solved  # a reply is not a closure


def test_only_the_submitting_deputy_gives_feedback() -> None:
    case = assigned()
    reply(case, ReplyClass.A, date(2025, 8, 1))
    before = unchanged(case)
    for who in (OTHER_DEPUTY, STAFF, LEAD_USER):
        with pytest.raises(ForbiddenError):
            handling.give_feedback(
                case, process=SAT, result=SAT, by=who, at=at(date(2025, 8, 2)), clocks=clocks()
            )
    assert vars(case) == before


def test_satisfied_with_class_a_closes_as_solved() -> None:
    case = assigned()
    reply(case, ReplyClass.A, date(2025, 8, 1))
    rate(case, Satisfaction.basically_satisfied, date(2025, 8, 5))
    assert (case.state, case.solved, case.ended) == (State.closed, True, True)


def test_class_d_closes_but_is_never_solved() -> None:
    case = assigned()
    reply(case, ReplyClass.D, date(2025, 8, 1))
    rate(case, SAT, date(2025, 8, 5))
    assert (case.state, case.solved) == (State.closed, False)


def test_unsatisfied_reopens_once_on_a_one_month_clock() -> None:
    case = assigned()
    reply(case, ReplyClass.A, date(2025, 8, 1))
    with pytest.raises(InputError):
        rate(case, UNSAT, date(2025, 8, 5), comment="")
    rate(case, UNSAT, date(2025, 8, 5))
    assert (case.state, case.round, case.clock, case.due_on) == (
        State.rehandling,
        2,
        Clock.rehandling,
        date(2025, 9, 5),
    )
    assert case.running_clock() == RunningClock(date(2025, 8, 5), date(2025, 9, 5), 2)
    reply(case, ReplyClass.A, date(2025, 9, 1))
    assert case.last_reply is not None
    assert case.last_reply.round == 2
    rate(case, UNSAT, date(2025, 9, 3))
    assert (case.state, case.round, case.solved) == (State.closed, 2, False)  # 不满意 ≠ 办成
    assert [f.round for f in case.feedback] == [1, 2]


def test_b_and_c_stay_in_follow_up_until_solved_across_year_ends() -> None:
    case = assigned(date(2025, 7, 1))
    reply(case, ReplyClass.C, date(2025, 9, 1), follow=date(2026, 6, 30))
    rate(case, SAT, date(2025, 9, 5))
    assert (case.state, case.solved) == (State.follow_up, False)
    with pytest.raises(InputError):
        handling.carry_over(case, into_year=2027, by=STAFF, at=at(date(2025, 12, 31)))
    handling.carry_over(case, into_year=2026, by=STAFF, at=at(date(2025, 12, 31)))
    handling.carry_over(case, into_year=2027, by=STAFF, at=at(date(2026, 12, 31)))
    assert (case.state, case.carried_into) == (State.follow_up, 2027)
    handling.resolve(case, by=LEAD_USER, at=at(date(2027, 3, 1)), comment="道路已修通")
    assert (case.state, case.solved) == (State.closed, True)


def test_a_leaders_instruction_reopens_a_closed_case() -> None:
    case = case_in(State.closed, CaseKind.suggestion)
    when = at(date(2025, 6, 2))
    with pytest.raises(ForbiddenError):
        handling.reopen(
            case,
            reason=ReopenReason.instruction,
            by=DEPUTY,
            at=when,
            clocks=clocks(),
            comment="批示",
        )
    with pytest.raises(InputError):
        handling.reopen(
            case,
            reason=ReopenReason.unsatisfied,
            by=COUNTY,
            at=when,
            clocks=clocks(),
            comment="批示",
        )
    with pytest.raises(InputError):
        handling.reopen(
            case, reason=ReopenReason.instruction, by=COUNTY, at=when, clocks=clocks(), comment=" "
        )
    handling.reopen(
        case,
        reason=ReopenReason.instruction,
        by=LEADER,
        at=when,
        clocks=clocks(),
        comment="县领导批示",
    )
    assert (case.state, case.round, case.solved) == (State.rehandling, 2, False)
    assert case.due_on == date(2025, 7, 2)
    assert case.timeline[-1].comment == "instruction: 县领导批示"


def test_every_transition_is_on_the_timeline_with_who_and_when() -> None:
    case = assigned(date(2025, 7, 1))
    reply(case, ReplyClass.B, date(2025, 8, 1), follow=date(2025, 12, 1))
    rate(case, SAT, date(2025, 8, 2))
    steps = [(e.action.value, e.actor, e.after.value, e.at) for e in case.timeline]
    assert steps == [
        ("receive", STAFF.user_id, "received", at(date(2025, 7, 1))),
        ("accept", STAFF.user_id, "accepted", at(date(2025, 7, 1))),
        ("assign", STAFF.user_id, "assigned", at(date(2025, 7, 1))),
        ("reply", LEAD_USER.user_id, "replied", at(date(2025, 8, 1))),
        ("feedback", DEPUTY.user_id, "follow_up", at(date(2025, 8, 2))),
    ]
    assert case.timeline[-2].comment == "class B; 会办意见未到: unit-water"  # none was recorded
    assert case.version == len(case.timeline)


def test_a_rehandling_round_is_extended_to_at_most_three_months_from_reopening() -> None:
    case = assigned(date(2025, 7, 1))
    reply(case, ReplyClass.A, date(2025, 8, 1))
    rate(case, UNSAT, date(2025, 8, 5))  # re-handling from 5 Aug, due 5 Sep
    assert case.due_on == date(2025, 9, 5)
    limit = clocks().extension_limit(case.due_on, case.clock, case.clock_start)
    assert limit == date(2025, 11, 5)  # three months from reopening, not 5 Dec
    with pytest.raises(InputError) as caught:
        extend(case, date(2025, 12, 5))
    assert caught.value.errors[0].type == "beyond_limit"
