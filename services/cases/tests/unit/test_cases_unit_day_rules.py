"""A unit's day: applications for extension, co-handlers' opinions, key chase on a leader's behalf, to-do."""

from __future__ import annotations

from datetime import date

import pytest
from cases_harness import CO, CO_USER, COUNTY, LEAD, LEAD_USER, LEADER, STAFF, at, clocks, new_case

from cases.domain import handling, intake
from cases.domain.chasing import ChasePolicy
from cases.domain.errors import ForbiddenError, IllegalTransitionError, InputError
from cases.domain.model import Case
from cases.domain.records import CoOpinion, LeaderDecision
from cases.domain.states import Action, State
from cases.domain.todo import Owed, todo_item, todo_list
from contracts.vocabulary import HandlingRole, ReplyClass

ON = date(2025, 7, 1)


def assigned(case_id: str = "case-1", on: date = ON) -> Case:
    """Return a suggestion assigned on ``on`` to the lead unit and one co-handler."""
    case = new_case(case_id=case_id, on=on)
    intake.accept(case, by=STAFF, at=at(on))
    handling.assign(case, lead=LEAD, co=(CO,), by=STAFF, at=at(on), clocks=clocks())
    return case


def apply(case: Case, due_on: date, on: date = date(2025, 8, 1)) -> None:
    """Apply for the extension as the lead unit."""
    handling.apply_extension(
        case,
        unit_id=LEAD.unit_id,
        due_on=due_on,
        reason="需跨年度施工",
        by=LEAD_USER,
        at=at(on),
        clocks=clocks(),
    )


def test_an_application_waits_for_a_county_decision_and_grants_the_date_asked() -> None:
    case = assigned()
    assert case.due_on == date(2025, 10, 9)  # 3 months, moved past the National Day holiday
    apply(case, date(2025, 11, 28))
    assert case.pending_extension is not None
    assert Action.refuse_extension in case.allowed_actions()
    assert Action.apply_extension not in case.allowed_actions()  # one application at a time
    with pytest.raises(IllegalTransitionError, match="already waiting"):
        apply(case, date(2025, 11, 27))
    assert case.due_on == date(2025, 10, 9)  # nothing moves until it is granted
    handling.extend(
        case,
        due_on=date(2025, 11, 28),
        reason="同意",
        by=COUNTY,
        at=at(date(2025, 8, 4)),
        clocks=clocks(),
    )
    assert case.due_on == date(2025, 11, 28)
    assert case.pending_extension is None
    assert case.extension_requests[-1].decision == "granted"
    assert Action.apply_extension not in case.allowed_actions()  # the one extension is used


def test_a_refused_application_keeps_the_due_date_and_the_unit_may_apply_again() -> None:
    case = assigned()
    apply(case, date(2025, 11, 28))
    with pytest.raises(ForbiddenError):
        handling.refuse_extension(case, reason="理由不充分", by=STAFF, at=at(date(2025, 8, 2)))
    with pytest.raises(InputError):
        handling.refuse_extension(case, reason="  ", by=LEADER, at=at(date(2025, 8, 2)))
    refused = handling.refuse_extension(
        case, reason="理由不充分", by=LEADER, at=at(date(2025, 8, 2))
    )
    assert refused.decision == "refused"
    assert refused.answer == "理由不充分"
    assert case.due_on == date(2025, 10, 9)
    assert case.extension is None
    with pytest.raises(IllegalTransitionError, match="no application"):
        handling.refuse_extension(case, reason="再拒", by=LEADER, at=at(date(2025, 8, 3)))
    apply(case, date(2025, 10, 31), on=date(2025, 8, 5))
    assert case.pending_extension is not None


@pytest.mark.parametrize(
    ("unit_id", "due_on", "on", "loc"),
    [
        ("unit-water", date(2025, 11, 28), date(2025, 8, 1), "unit_id"),  # a co-handler
        (LEAD.unit_id, date(2025, 10, 9), date(2025, 8, 1), "due_on"),  # not later
        (LEAD.unit_id, date(2026, 3, 2), date(2025, 8, 1), "due_on"),  # beyond the limit
        (LEAD.unit_id, date(2025, 11, 29), date(2025, 8, 1), "due_on"),  # a Saturday
        (LEAD.unit_id, date(2025, 11, 28), date(2025, 10, 10), "due_on"),  # after the due date
    ],
)
def test_a_bad_application_is_refused(unit_id: str, due_on: date, on: date, loc: str) -> None:
    case = assigned()
    with pytest.raises(InputError) as refused:
        handling.apply_extension(
            case,
            unit_id=unit_id,
            due_on=due_on,
            reason="需要更多时间",
            by=LEAD_USER,
            at=at(on),
            clocks=clocks(),
        )
    assert refused.value.errors[0].loc[0] == loc
    assert case.extension_requests == []


def test_co_opinions_are_recorded_per_round_and_stated_in_the_reply() -> None:
    case = assigned()
    assert case.opinions_missing() == (CO.unit_id,)
    with pytest.raises(InputError):
        handling.record_co_opinion(
            case, unit_id=LEAD.unit_id, text="主办不写会办意见", by=LEAD_USER, at=at(ON)
        )
    handling.record_co_opinion(case, unit_id=CO.unit_id, text="初稿", by=CO_USER, at=at(ON))
    handling.record_co_opinion(
        case, unit_id=CO.unit_id, text="同意，负责排水部分", by=CO_USER, at=at(ON)
    )
    assert [o.text for o in case.unit_opinions] == ["同意，负责排水部分"]  # the later one counts
    assert case.opinions_missing() == ()
    handling.reply(
        case,
        unit_id=LEAD.unit_id,
        reply_class=ReplyClass.A,
        text="已完成",
        by=LEAD_USER,
        at=at(date(2025, 8, 1)),
        require_co_opinions=True,
    )
    assert case.replies[-1].co_opinions == (CoOpinion(CO.unit_id, "同意，负责排水部分"),)


def test_a_reply_without_the_co_opinions_is_refused_or_noted_as_configured() -> None:
    case = assigned()
    kwargs = {
        "unit_id": LEAD.unit_id,
        "reply_class": ReplyClass.A,
        "text": "已完成",
        "by": LEAD_USER,
        "at": at(date(2025, 8, 1)),
    }
    with pytest.raises(InputError, match="unit-water"):
        handling.reply(case, **kwargs, require_co_opinions=True)  # type: ignore[arg-type]
    assert case.replies == []
    handling.reply(case, **kwargs)  # type: ignore[arg-type]
    assert case.state is State.replied
    assert "会办意见未到: unit-water" in case.timeline[-1].comment


def test_a_paper_opinion_given_with_the_reply_counts() -> None:
    case = assigned()
    handling.reply(
        case,
        unit_id=LEAD.unit_id,
        reply_class=ReplyClass.A,
        text="已完成",
        by=STAFF,
        at=at(date(2025, 8, 1)),
        co_opinions=(CoOpinion(CO.unit_id, "书面意见：同意"),),
        require_co_opinions=True,
    )
    assert case.state is State.replied


def test_county_staff_record_a_leaders_key_chase_decision_on_their_behalf() -> None:
    case = assigned()
    decision = LeaderDecision("王主任", "主任会议纪要〔2025〕7号", date(2025, 7, 1), "")
    with pytest.raises(InputError):  # a decision taken, not a future one
        handling.designate_key_chase(
            case,
            by=COUNTY,
            at=at(date(2025, 7, 2)),
            decision=LeaderDecision("王主任", "纪要", date(2025, 7, 9), ""),
        )
    handling.designate_key_chase(case, by=COUNTY, at=at(date(2025, 7, 2)), decision=decision)
    assert case.key_chase
    assert case.key_chase_decision == LeaderDecision(
        "王主任", "主任会议纪要〔2025〕7号", date(2025, 7, 1), COUNTY.user_id
    )
    assert case.timeline[-1].comment.startswith("代王主任记录（主任会议纪要〔2025〕7号")


def test_the_to_do_list_says_what_each_unit_owes_next_earliest_first() -> None:
    early, late = assigned("case-a", date(2025, 7, 1)), assigned("case-b", date(2025, 6, 2))
    today = date(2025, 8, 25)
    policy = ChasePolicy()
    lead_items = todo_list([early, late], LEAD.unit_id, today, clocks(), policy)
    assert [(i.case_id, i.owed) for i in lead_items] == [
        ("case-b", Owed.reply),
        ("case-a", Owed.reply),
    ]
    first = lead_items[0]
    assert first.deadline == date(2025, 9, 2)
    assert first.warning == 75
    assert not first.overdue
    assert first.co_opinions_missing == (CO.unit_id,)
    assert first.may_apply_extension
    assert not first.extension_pending
    assert lead_items[1].warning == 50
    co_items = todo_list([early, late], CO.unit_id, today, clocks(), policy)
    assert {(i.case_id, i.owed, i.role) for i in co_items} == {
        ("case-a", Owed.co_opinion, HandlingRole.co),
        ("case-b", Owed.co_opinion, HandlingRole.co),
    }
    handling.record_co_opinion(late, unit_id=CO.unit_id, text="同意", by=CO_USER, at=at(today))
    assert todo_item(late, CO.unit_id, today, clocks(), policy) is None  # nothing owed now
    overdue = todo_item(late, LEAD.unit_id, date(2025, 9, 3), clocks(), policy)
    assert overdue is not None
    assert overdue.overdue
    assert overdue.days_left == -1
    assert overdue.warning is None
    assert todo_item(early, "unit-other", today, clocks(), policy) is None
