"""Property tests: random action sequences never leave a case inconsistent."""

from __future__ import annotations

import copy
from datetime import date, timedelta

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
    clocks,
    inconsistencies,
    new_case,
)
from hypothesis import event, given, settings, strategies as st

from cases.domain import handling, intake
from cases.domain.clocks import add_months
from cases.domain.errors import DomainError
from cases.domain.model import Case
from cases.domain.records import Actor, CoOpinion, Unit
from cases.domain.states import Action, State
from contracts.vocabulary import (
    CaseKind,
    HandlingRole,
    NotAcceptedReason,
    ReopenReason,
    ReplyClass,
    Satisfaction,
)

ACTORS = st.sampled_from([STAFF, COUNTY, LEADER, DEPUTY, DEPUTY, OTHER_DEPUTY, LEAD_USER, CO_USER])
ACTIONS = [a for a in Action if a is not Action.receive]
MAIN_LINE = frozenset(
    {Action.accept, Action.assign, Action.reply, Action.feedback, Action.resolve, Action.reopen}
    | {Action.extend, Action.return_, Action.carry_over}
)
STRANGER = Unit("unit-x", "县某局", HandlingRole.co)


def attempt(case: Case, action: Action, day: date, data: st.DataObject) -> None:
    """Try ``action`` with drawn arguments, valid or not, on ``day``."""
    c, when = clocks(), at(day)
    by: Actor = data.draw(ACTORS)
    if action is Action.answer_on_spot:
        intake.answer_on_spot(
            case, answer=data.draw(st.sampled_from(["", "已解释"])), by=by, at=when
        )
    elif action is Action.not_accept:
        reason = data.draw(st.sampled_from(NotAcceptedReason))
        intake.not_accept(
            case, reason=reason, by=by, at=when, comment=data.draw(st.text(max_size=3))
        )
    elif action is Action.merge:
        intake.merge(case, survivor=new_case(case.kind, case_id="case-s", on=day), by=by, at=when)
    elif action is Action.absorb:
        duplicate = new_case(case.kind, case_id="case-d", on=day, deputies=("dep-7", "dep-1"))
        intake.merge(duplicate, survivor=case, by=by, at=when)
    elif action is Action.to_suggestion:
        intake.to_suggestion(case, suggestion_case_id="case-n", by=by, at=when)
    elif action is Action.accept:
        intake.accept(case, by=by, at=when, complex_=data.draw(st.booleans()))
    elif action is Action.assign:
        lead = data.draw(st.sampled_from([LEAD, LEAD, OTHER_LEAD, CO]))
        co = data.draw(st.sampled_from([(), (CO,), (CO, STRANGER), (LEAD,)]))
        handling.assign(case, lead=lead, co=co, by=by, at=when, clocks=c)
    elif action is Action.return_:
        unit = data.draw(st.sampled_from([LEAD, CO, STRANGER]))
        handling.return_(
            case, unit_id=unit.unit_id, reason="非本单位职责", by=by, at=when, clocks=c
        )
    elif action is Action.extend:
        base = case.due_on or day
        target = base + timedelta(days=data.draw(st.integers(-10, 100)))
        handling.extend(case, due_on=target, reason="需协调", by=by, at=when, clocks=c)
    elif action is Action.designate_key_chase:
        handling.designate_key_chase(case, by=by, at=when)
    elif action is Action.reply:
        handling.reply(
            case,
            unit_id=data.draw(
                st.sampled_from([LEAD.unit_id] * 4 + [OTHER_LEAD.unit_id, CO.unit_id])
            ),
            reply_class=data.draw(st.sampled_from(ReplyClass)),
            text=data.draw(st.sampled_from(["", "答复", "答复"])),
            by=by,
            at=when,
            co_opinions=data.draw(st.sampled_from([(), (CoOpinion(CO.unit_id, "同意"),)])),
            follow_up_due_on=(None if data.draw(st.booleans()) else day + timedelta(days=90)),
        )
    elif action is Action.feedback:
        handling.give_feedback(
            case,
            process=data.draw(st.sampled_from(Satisfaction)),
            result=data.draw(st.sampled_from(Satisfaction)),
            by=by,
            at=when,
            clocks=c,
            comment=data.draw(st.sampled_from(["", "不满意", "不满意"])),
        )
    elif action is Action.resolve:
        handling.resolve(case, by=by, at=when)
    elif action is Action.carry_over:
        handling.carry_over(
            case, into_year=day.year + data.draw(st.integers(-1, 1)), by=by, at=when
        )
    else:
        reason = data.draw(st.sampled_from(ReopenReason))
        handling.reopen(case, reason=reason, by=by, at=when, clocks=c, comment="批示")


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(CaseKind),
    start=st.dates(date(2024, 1, 1), date(2026, 12, 31)),
    length=st.integers(0, 40),
    data=st.data(),
)
def test_random_action_sequences_keep_every_invariant(
    kind: CaseKind, start: date, length: int, data: st.DataObject
) -> None:
    case = new_case(kind, on=start)
    calendar = clocks().calendar
    day = start
    for _ in range(length):
        allowed = case.possible_actions()
        # Mostly possible actions, so runs reach deep states; sometimes anything at all.
        roll = data.draw(st.integers(0, 9))
        onward = sorted(allowed & MAIN_LINE)
        pick = (
            ACTIONS
            if roll == 0 or not allowed
            else onward
            if roll > 3 and onward
            else sorted(allowed)
        )
        action = data.draw(st.sampled_from(pick))
        day += timedelta(days=data.draw(st.integers(0, 60)))
        before = copy.deepcopy(vars(case))
        try:
            attempt(case, action, day, data)
        except DomainError:
            assert vars(case) == before, f"a refused {action} wrote nothing"
        else:
            assert action in allowed
            if action not in (Action.merge, Action.absorb):
                assert case.timeline[-1].action in (action, Action.feedback)
        assert inconsistencies(case, calendar) == []
    event(f"reached {case.state.value}, round {case.round}")


@settings(max_examples=200, deadline=None)
@given(
    assigned_on=st.dates(date(2024, 1, 1), date(2026, 12, 31)),
    extra=st.lists(st.integers(-30, 150), min_size=1, max_size=4),
)
def test_the_extension_is_granted_at_most_once_and_within_three_months(
    assigned_on: date, extra: list[int]
) -> None:
    case = new_case(on=assigned_on)
    intake.accept(case, by=STAFF, at=at(assigned_on))
    handling.assign(case, lead=LEAD, by=STAFF, at=at(assigned_on), clocks=clocks())
    original = case.due_on
    assert original is not None
    granted = 0
    for days in extra:
        try:
            handling.extend(
                case,
                due_on=original + timedelta(days=days),
                reason="需协调",
                by=COUNTY,
                at=at(assigned_on),
                clocks=clocks(),
            )
            granted += 1
        except DomainError:
            pass
    assert granted <= 1
    assert case.due_on is not None
    assert original <= case.due_on <= add_months(original, 3)
    assert clocks().calendar.is_workday(case.due_on)


@settings(max_examples=200, deadline=None)
@given(
    cls=st.sampled_from(ReplyClass),
    ratings=st.lists(st.sampled_from(Satisfaction), min_size=2, max_size=2),
)
def test_closed_is_never_counted_as_solved(cls: ReplyClass, ratings: list[Satisfaction]) -> None:
    case = new_case()
    day = date(2025, 3, 3)
    intake.accept(case, by=STAFF, at=at(day))
    handling.assign(case, lead=LEAD, by=STAFF, at=at(day), clocks=clocks())
    for rating in ratings:
        if case.state not in (State.assigned, State.rehandling):
            break
        follow = day + timedelta(days=200) if cls in handling.FOLLOW_UP_CLASSES else None
        handling.reply(
            case,
            unit_id=LEAD.unit_id,
            reply_class=cls,
            text="答复",
            by=LEAD_USER,
            at=at(day),
            follow_up_due_on=follow,
        )
        handling.give_feedback(
            case,
            process=rating,
            result=rating,
            by=DEPUTY,
            at=at(day),
            clocks=clocks(),
            comment="理由",
        )
    last = case.feedback[-1] if case.feedback else None
    satisfied = last is not None and not last.unsatisfied
    assert case.solved == (case.state is State.closed and cls is ReplyClass.A and satisfied)
    if cls is not ReplyClass.A:
        assert not case.solved
