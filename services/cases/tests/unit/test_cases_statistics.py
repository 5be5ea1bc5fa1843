"""Statistics on twelve cases in two townships and three themes, with hand-computed numbers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

import pytest
from hypothesis import given, settings, strategies as st

from cases.domain.states import HANDLING, State
from cases.domain.statistics import CaseFacts, Tally, overall, tally
from contracts.vocabulary import CaseKind, ReplyClass, Satisfaction

TODAY = date(2026, 6, 15)
EAST, STONE = "990101001", "990101002"
TRAFFIC, SCHOOL, LIVING = "交通", "教育", "民生"
A, B, C, D = ReplyClass.A, ReplyClass.B, ReplyClass.C, ReplyClass.D
OK, SO_SO, BAD = Satisfaction.satisfied, Satisfaction.basically_satisfied, Satisfaction.unsatisfied
Key = Literal["township", "unit", "category"]


def fact(
    case_id: str,
    township: str,
    category: str,
    state: State,
    *,
    unit: str | None,
    due: date | None = date(2026, 5, 20),
    reply: ReplyClass | None = None,
    on_time: bool | None = None,
    solved: bool = False,
    result: Satisfaction | None = None,
    key_chase: bool = False,
) -> CaseFacts:
    """Return the facts of one case; a reply is dated 2026-05-15."""
    return CaseFacts(
        case_id=case_id,
        kind=CaseKind.suggestion,
        township=township,
        category=category,
        title=f"事项{case_id}",
        state=state,
        received_on=date(2026, 4, 1),
        lead_unit_id=unit,
        unit_ids=(unit,) if unit else (),
        due_on=due,
        replied_on=date(2026, 5, 15) if reply else None,
        reply_class=reply,
        on_time=on_time,
        solved=solved,
        result=result,
        key_chase=key_chase,
    )


FACTS = [
    # 东湖镇
    fact(
        "c01",
        EAST,
        TRAFFIC,
        State.closed,
        unit="traffic",
        reply=A,
        on_time=True,
        solved=True,
        result=OK,
    ),
    fact(
        "c02", EAST, TRAFFIC, State.closed, unit="traffic", reply=D, on_time=True, result=SO_SO
    ),  # closed with a D reply: not solved
    fact("c03", EAST, TRAFFIC, State.follow_up, unit="traffic", reply=B, on_time=False, result=OK),
    fact(
        "c04", EAST, SCHOOL, State.assigned, unit="edu", due=date(2026, 6, 1), key_chase=True
    ),  # overdue 14 days
    fact(
        "c05", EAST, SCHOOL, State.replied, unit="edu", reply=C, on_time=True
    ),  # past due, replied
    fact(
        "c06",
        EAST,
        LIVING,
        State.rehandling,
        unit="civil",
        due=date(2026, 6, 10),
        reply=D,
        on_time=False,
        result=BAD,
    ),  # overdue 5 days in its second round
    # 石桥镇
    fact("c07", STONE, TRAFFIC, State.assigned, unit="traffic", due=TODAY),  # due today: on time
    fact(
        "c08",
        STONE,
        TRAFFIC,
        State.closed,
        unit="traffic",
        reply=A,
        on_time=False,
        solved=True,
        result=OK,
    ),
    fact(
        "c09",
        STONE,
        SCHOOL,
        State.closed,
        unit="edu",
        reply=C,
        on_time=True,
        solved=True,
        result=SO_SO,
    ),  # a C item solved later in follow-up
    fact("c10", STONE, LIVING, State.received, unit=None, due=None),
    fact("c11", STONE, LIVING, State.not_accepted, unit=None, due=None),
    fact(
        "c12",
        STONE,
        LIVING,
        State.follow_up,
        unit="civil",
        due=date(2026, 5, 1),
        reply=B,
        on_time=True,
        result=SO_SO,
    ),  # past due but in follow-up: not overdue
]


def counts(t: Tally) -> tuple[int, ...]:
    """Return total, replied, on time, solved, class A, rated, satisfied and overdue counts."""
    return (
        t.total,
        t.replied,
        t.on_time,
        t.solved,
        t.class_a,
        t.with_feedback,
        t.satisfied,
        t.overdue,
    )


def rates(t: Tally) -> tuple[float | None, ...]:
    """Return the on-time, solved, class-A and satisfaction rates."""
    return (t.on_time_rate, t.solved_rate, t.class_a_share, t.satisfaction_rate)


def test_overall_counts_and_rates() -> None:
    t = overall(FACTS, TODAY)
    assert t.key == "all"
    assert counts(t) == (12, 8, 5, 3, 2, 7, 6, 2)
    assert rates(t) == (0.625, 0.375, 0.25, 0.8571)  # 5/8, 3/8, 2/8, 6/7 rounded


def test_by_state_lists_every_state_in_enum_order() -> None:
    t = overall(FACTS, TODAY)
    assert list(t.by_state) == [s.value for s in State]
    assert dict(t.by_state) == {
        "received": 1,
        "answered_on_spot": 0,
        "not_accepted": 1,
        "merged": 0,
        "to_suggestion": 0,
        "accepted": 0,
        "assigned": 2,
        "returned": 0,
        "replied": 1,
        "rehandling": 1,
        "follow_up": 2,
        "closed": 4,
    }


def test_by_township() -> None:
    towns = tally(FACTS, by="township", today=TODAY)
    assert [t.key for t in towns] == [EAST, STONE]
    east, stone = towns
    assert counts(east) == (6, 5, 3, 1, 1, 4, 3, 2)
    assert rates(east) == (0.6, 0.2, 0.2, 0.75)
    assert counts(stone) == (6, 3, 2, 2, 1, 3, 3, 0)
    assert rates(stone) == (0.6667, 0.6667, 0.3333, 1.0)


def test_by_category() -> None:
    themes = {t.key: t for t in tally(FACTS, by="category", today=TODAY)}
    assert list(themes) == [TRAFFIC, SCHOOL, LIVING]  # sorted by key (code point order)
    assert counts(themes[TRAFFIC]) == (5, 4, 2, 2, 2, 4, 4, 0)
    assert rates(themes[TRAFFIC]) == (0.5, 0.5, 0.5, 1.0)
    assert counts(themes[SCHOOL]) == (3, 2, 2, 1, 0, 1, 1, 1)
    assert rates(themes[SCHOOL]) == (1.0, 0.5, 0.0, 1.0)
    assert counts(themes[LIVING]) == (4, 2, 1, 0, 0, 2, 1, 1)
    assert rates(themes[LIVING]) == (0.5, 0.0, 0.0, 0.5)


def test_by_lead_unit_counts_unassigned_cases_as_their_own_group() -> None:
    units = tally(FACTS, by="unit", today=TODAY)
    assert [(t.key, t.total) for t in units] == [
        ("civil", 2),
        ("edu", 3),
        ("traffic", 5),
        ("unassigned", 2),  # c10 and c11 never got a lead unit
    ]
    assert sum(t.total for t in units) == len(FACTS)


def test_closed_is_never_solved_by_itself() -> None:
    closed = [f for f in FACTS if f.state is State.closed]
    t = overall(closed, TODAY)
    assert (t.total, t.solved) == (4, 3)
    not_solved = [f for f in closed if f.reply_class is D]
    assert overall(not_solved, TODAY).solved == 0
    assert overall(not_solved, TODAY).solved_rate == 0.0


def test_solved_counts_only_the_solved_fact_not_the_class() -> None:
    b_reply = fact("b", EAST, TRAFFIC, State.closed, unit="u", reply=B, on_time=True)
    a_unsolved = fact("a", EAST, TRAFFIC, State.replied, unit="u", reply=A, on_time=True)
    t = overall([b_reply, a_unsolved], TODAY)
    assert (t.class_a, t.solved) == (1, 0)  # an A reply awaiting feedback is not solved yet


def test_rates_with_no_base_are_none() -> None:
    fresh = [
        fact("n1", EAST, TRAFFIC, State.received, unit=None, due=None),
        fact("n2", EAST, TRAFFIC, State.assigned, unit="traffic"),
    ]
    t = overall(fresh, TODAY)
    assert (t.replied, t.with_feedback) == (0, 0)
    assert rates(t) == (None, None, None, None)
    assert rates(overall([], TODAY)) == (None, None, None, None)
    assert tally([], by="township", today=TODAY) == []


def test_satisfaction_base_is_the_rated_cases_only() -> None:
    unrated = fact("r", EAST, TRAFFIC, State.replied, unit="u", reply=A, on_time=True)
    t = overall([unrated], TODAY)
    assert (t.on_time_rate, t.satisfaction_rate) == (1.0, None)


@pytest.mark.parametrize("state", list(State))
def test_overdue_only_in_handling_states(state: State) -> None:
    late = fact("o", EAST, TRAFFIC, state, unit="u", due=TODAY - timedelta(days=1))
    assert late.overdue(TODAY) is (state in HANDLING)


def test_overdue_starts_the_day_after_the_due_date() -> None:
    f = fact("o", EAST, TRAFFIC, State.assigned, unit="u", due=TODAY)
    assert not f.overdue(TODAY)
    assert f.overdue(TODAY + timedelta(days=1))
    assert not fact("n", EAST, TRAFFIC, State.assigned, unit="u", due=None).overdue(TODAY)


_FACT = st.builds(
    fact,
    case_id=st.text(min_size=1, max_size=6),
    township=st.sampled_from([EAST, STONE, "990102003"]),
    category=st.sampled_from([TRAFFIC, SCHOOL, LIVING]),
    state=st.sampled_from(list(State)),
    unit=st.sampled_from(["traffic", "edu", "civil", None]),
    due=st.one_of(st.none(), st.dates(TODAY - timedelta(days=60), TODAY + timedelta(days=60))),
    reply=st.one_of(st.none(), st.sampled_from(list(ReplyClass))),
    on_time=st.one_of(st.none(), st.booleans()),
    solved=st.booleans(),
    result=st.one_of(st.none(), st.sampled_from(list(Satisfaction))),
    key_chase=st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(facts=st.lists(_FACT, max_size=25), by=st.sampled_from(["township", "unit", "category"]))
def test_groups_partition_every_count(facts: list[CaseFacts], by: Key) -> None:
    whole = overall(facts, TODAY)
    groups = tally(facts, by=by, today=TODAY)
    assert [t.key for t in groups] == sorted({t.key for t in groups})
    kept_whole = whole  # every case is in one group, unassigned ones too
    assert whole.total == len(facts)
    for i, value in enumerate(counts(kept_whole)):
        assert sum(counts(t)[i] for t in groups) == value
    for t in [whole, *groups]:
        assert sum(t.by_state.values()) == t.total
        assert list(t.by_state) == [s.value for s in State]
        assert max(t.on_time, t.class_a, t.solved) <= t.replied <= t.total
        assert t.satisfied <= t.with_feedback <= t.total
        assert t.overdue <= t.total
        for rate in rates(t):
            assert rate is None or 0.0 <= rate <= 1.0
