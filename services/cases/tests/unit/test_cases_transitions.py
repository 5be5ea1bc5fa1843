"""Every action from every state, legal and illegal, table-driven."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

import pytest
from cases_harness import (
    CO,
    CO_USER,
    COUNTY,
    DEPUTY,
    LEAD,
    LEAD_USER,
    LEADER,
    OTHER_LEAD,
    STAFF,
    case_in,
    clocks,
    new_case,
)

from cases.domain import handling, intake
from cases.domain.errors import IllegalTransitionError
from cases.domain.model import Case
from cases.domain.states import FINAL, INTERNAL, TRANSITIONS, Action, State
from contracts.vocabulary import CaseKind, NotAcceptedReason, ReopenReason, ReplyClass, Satisfaction

SAME = None
"""The action keeps the state."""

RESULT: dict[Action, State | None] = {
    Action.answer_on_spot: State.answered_on_spot,
    Action.not_accept: State.not_accepted,
    Action.merge: State.merged,
    Action.to_suggestion: State.to_suggestion,
    Action.accept: State.accepted,
    Action.absorb: SAME,
    Action.assign: State.assigned,
    Action.return_: State.returned,
    Action.extend: SAME,
    Action.designate_key_chase: SAME,
    Action.reply: State.replied,
    Action.feedback: State.closed,  # the path's replies are class A, rated satisfied
    Action.resolve: State.closed,
    Action.carry_over: SAME,
    Action.reopen: State.rehandling,
    Action.apply_extension: SAME,
    Action.co_opinion: SAME,
}
"""Where each action leads when it is legal, from the cases `case_in` builds."""

# refusing needs a pending application first: tests/unit/test_cases_unit_day_rules.py covers it
SKIPPED = {Action.receive, Action.refuse_extension}
ACTIONS = [a for a in Action if a not in SKIPPED and a not in INTERNAL - {Action.absorb}]


def perform(case: Case, action: Action, when: datetime) -> None:
    """Attempt ``action`` on ``case`` with arguments that are valid whenever the state allows it."""
    c = clocks()
    due = case.due_on or when.date()
    if action is Action.answer_on_spot:
        intake.answer_on_spot(case, answer="已答复", by=STAFF, at=when)
    elif action is Action.not_accept:
        intake.not_accept(case, reason=NotAcceptedReason.personal_matter, by=STAFF, at=when)
    elif action is Action.merge:
        survivor = new_case(case.kind, case_id="case-other")
        intake.merge(case, survivor=survivor, by=STAFF, at=when)
    elif action is Action.to_suggestion:
        intake.to_suggestion(case, suggestion_case_id="case-sugg", by=STAFF, at=when)
    elif action is Action.accept:
        intake.accept(case, by=STAFF, at=when)
    elif action is Action.absorb:
        duplicate = new_case(case.kind, case_id="case-dup", deputies=("dep-9",))
        intake.merge(duplicate, survivor=case, by=STAFF, at=when)
    elif action is Action.assign:
        handling.assign(case, lead=OTHER_LEAD, by=STAFF, at=when, clocks=c)
    elif action is Action.return_:
        handling.return_(
            case, unit_id=LEAD.unit_id, reason="非本单位职责", by=LEAD_USER, at=when, clocks=c
        )
    elif action is Action.extend:
        handling.extend(
            case, due_on=c.calendar.add(due, 5), reason="需协调资金", by=COUNTY, at=when, clocks=c
        )
    elif action is Action.designate_key_chase:
        handling.designate_key_chase(case, by=LEADER, at=when)
    elif action is Action.apply_extension:
        handling.apply_extension(
            case,
            unit_id=LEAD.unit_id,
            due_on=c.calendar.add(due, 5),
            reason="需协调资金",
            by=LEAD_USER,
            at=when,
            clocks=c,
        )
    elif action is Action.co_opinion:
        handling.record_co_opinion(case, unit_id=CO.unit_id, text="同意", by=CO_USER, at=when)
    elif action is Action.reply:
        lead = case.lead or LEAD
        handling.reply(
            case,
            unit_id=lead.unit_id,
            reply_class=ReplyClass.A,
            text="已解决",
            by=LEAD_USER,
            at=when,
        )
    elif action is Action.feedback:
        handling.give_feedback(
            case,
            process=Satisfaction.satisfied,
            result=Satisfaction.satisfied,
            by=DEPUTY,
            at=when,
            clocks=c,
        )
    elif action is Action.resolve:
        handling.resolve(case, by=LEAD_USER, at=when)
    elif action is Action.carry_over:
        last = case.last_reply
        year = case.carried_into or (last.replied_on.year if last else when.year)
        handling.carry_over(case, into_year=year + 1, by=STAFF, at=when)
    else:
        handling.reopen(
            case,
            reason=ReopenReason.instruction,
            by=COUNTY,
            at=when,
            clocks=c,
            comment="县领导批示：重新办理",
        )


CASES = [
    (kind, state, action)
    for kind in CaseKind
    for state in State
    if not (kind is CaseKind.suggestion and state is State.to_suggestion)
    for action in ACTIONS
]


@pytest.mark.parametrize(("kind", "state", "action"), CASES)
def test_every_action_from_every_state(kind: CaseKind, state: State, action: Action) -> None:
    case = case_in(state, kind)
    when = case.timeline[-1].at + timedelta(days=1)
    legal = action in TRANSITIONS[state] and not (
        action is Action.to_suggestion and kind is CaseKind.suggestion
    )
    if legal:
        version = case.version
        perform(case, action, when)
        expected = RESULT[action]
        assert case.state is (state if expected is SAME else expected)
        assert case.version == version + 1
        entry = case.timeline[-1]
        assert (entry.action, entry.before, entry.after, entry.at) == (
            action,
            state,
            case.state,
            when,
        )
    else:
        before = copy.deepcopy(case)
        with pytest.raises(IllegalTransitionError) as caught:
            perform(case, action, when)
        assert caught.value.state is state
        assert caught.value.action is action
        assert set(caught.value.allowed) == case.allowed_actions()
        assert action not in caught.value.allowed
        assert vars(case) == vars(before)


def test_the_table_lists_every_state_and_triage_outcomes_are_final() -> None:
    assert set(TRANSITIONS) == set(State)
    assert all(not TRANSITIONS[s] for s in FINAL)
    assert TRANSITIONS[State.closed] == {Action.reopen}


def test_an_illegal_action_names_the_state_and_the_allowed_actions() -> None:
    case = case_in(State.replied, CaseKind.suggestion)
    with pytest.raises(IllegalTransitionError) as caught:
        handling.resolve(case, by=STAFF, at=case.timeline[-1].at)
    assert str(caught.value) == "cannot resolve a case in state replied; allowed: feedback"
    assert caught.value.allowed == (Action.feedback,)


def test_an_extension_is_granted_once_then_no_longer_allowed() -> None:
    case = case_in(State.assigned, CaseKind.suggestion)
    when = case.timeline[-1].at + timedelta(days=1)
    perform(case, Action.extend, when)
    assert Action.extend not in case.allowed_actions()
    with pytest.raises(IllegalTransitionError) as caught:
        perform(case, Action.extend, when)
    assert Action.reply in caught.value.allowed


def test_key_chase_is_designated_once() -> None:
    case = case_in(State.assigned, CaseKind.suggestion)
    perform(case, Action.designate_key_chase, case.timeline[-1].at)
    with pytest.raises(IllegalTransitionError):
        perform(case, Action.designate_key_chase, case.timeline[-1].at)


def test_only_opinions_turn_into_suggestions() -> None:
    assert Action.to_suggestion in case_in(State.received, CaseKind.opinion).allowed_actions()
    assert Action.to_suggestion not in new_case(CaseKind.suggestion).allowed_actions()
