"""Statistics: counts by state, on-time, solved, class-A and satisfaction rates per group."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings, strategies as st

from cases.domain.states import State
from cases.domain.statistics import CaseFacts, overall, tally
from contracts.vocabulary import CaseKind, ReplyClass, Satisfaction

TODAY = date(2026, 6, 1)
A, B, C, D = ReplyClass.A, ReplyClass.B, ReplyClass.C, ReplyClass.D
OK, SO_SO, BAD = Satisfaction.satisfied, Satisfaction.basically_satisfied, Satisfaction.unsatisfied


def fact(
    case_id: str,
    state: State,
    *,
    township: str = "990101001",
    category: str = "交通",
    unit: str | None = "traffic",
    due: date | None = date(2026, 5, 1),
    reply: ReplyClass | None = None,
    on_time: bool | None = None,
    solved: bool = False,
    result: Satisfaction | None = None,
) -> CaseFacts:
    """Return the facts of one case."""
    return CaseFacts(
        case_id=case_id,
        kind=CaseKind.suggestion,
        township=township,
        category=category,
        title=case_id,
        state=state,
        received_on=date(2026, 1, 10),
        lead_unit_id=unit,
        unit_ids=(unit,) if unit else (),
        due_on=due,
        replied_on=date(2026, 4, 1) if reply else None,
        reply_class=reply,
        on_time=on_time,
        solved=solved,
        result=result,
    )


FACTS = [
    fact("1", State.closed, reply=A, on_time=True, solved=True, result=OK),
    fact("2", State.closed, reply=D, on_time=True, result=SO_SO),  # closed, not solved
    fact("3", State.follow_up, reply=B, on_time=False, result=OK),
    fact("4", State.closed, reply=C, on_time=True, solved=True, result=BAD, category="教育"),
    fact("5", State.assigned, category="教育"),  # overdue: due 1 May, today 1 June
    fact("6", State.assigned, due=date(2026, 7, 1), township="990101002"),
    fact("7", State.received, unit=None, due=None, township="990101002"),
    fact("8", State.replied, reply=A, on_time=False, township="990101002", unit="water"),
]


def test_the_overall_tally() -> None:
    t = overall(FACTS, TODAY)
    assert t.total == 8
    assert t.by_state["closed"] == 3
    assert sum(t.by_state.values()) == 8
    assert list(t.by_state) == [s.value for s in State]
    assert (t.replied, t.on_time, t.solved, t.class_a) == (5, 3, 2, 2)
    assert t.on_time_rate == 0.6
    assert t.solved_rate == 0.4
    assert t.class_a_share == 0.4
    assert (t.with_feedback, t.satisfied) == (4, 3)
    assert t.satisfaction_rate == 0.75
    assert t.overdue == 1


def test_closed_is_not_solved() -> None:
    closed = [f for f in FACTS if f.state is State.closed]
    assert overall(closed, TODAY).solved == 2  # of 3 closed, the D reply was not solved


def test_groups_by_township_unit_and_category() -> None:
    towns = {t.key: t for t in tally(FACTS, by="township", today=TODAY)}
    assert (towns["990101001"].total, towns["990101002"].total) == (5, 3)
    units = {t.key: t for t in tally(FACTS, by="unit", today=TODAY)}
    assert set(units) == {"traffic", "water", "unassigned"}  # no unit yet: a group of its own
    assert units["water"].class_a == 1
    categories = [t.key for t in tally(FACTS, by="category", today=TODAY)]
    assert categories == ["交通", "教育"]


def test_rates_without_a_base_are_none() -> None:
    t = overall([fact("x", State.received, unit=None, due=None)], TODAY)
    assert (t.on_time_rate, t.solved_rate, t.class_a_share, t.satisfaction_rate) == (
        None,
        None,
        None,
        None,
    )


def test_only_handling_cases_past_due_are_overdue() -> None:
    assert fact("a", State.assigned).overdue(TODAY)
    assert fact("b", State.rehandling).overdue(TODAY)
    assert not fact("c", State.replied).overdue(TODAY)
    assert not fact("d", State.follow_up).overdue(TODAY)
    assert not fact("e", State.assigned, due=TODAY).overdue(TODAY)


_FACT = st.builds(
    fact,
    case_id=st.uuids().map(str),
    state=st.sampled_from(list(State)),
    township=st.sampled_from(["990101001", "990101002", "990101003"]),
    category=st.sampled_from(["交通", "教育", "民生"]),
    unit=st.sampled_from(["traffic", "water", None]),
    due=st.one_of(st.none(), st.dates(TODAY - timedelta(days=90), TODAY + timedelta(days=90))),
    reply=st.one_of(st.none(), st.sampled_from([A, B, C, D])),
    on_time=st.booleans(),
    solved=st.booleans(),
    result=st.one_of(st.none(), st.sampled_from([OK, SO_SO, BAD])),
)


@settings(max_examples=100, deadline=None)
@given(facts=st.lists(_FACT, max_size=30))
def test_groups_partition_the_cases_and_rates_are_shares(facts: list[CaseFacts]) -> None:
    whole = overall(facts, TODAY)
    assert sum(whole.by_state.values()) == whole.total == len(facts)
    for by in ("township", "category"):
        assert sum(t.total for t in tally(facts, by=by, today=TODAY)) == whole.total
    assert sum(t.total for t in tally(facts, by="unit", today=TODAY)) == whole.total
    for rate in (
        whole.on_time_rate,
        whole.solved_rate,
        whole.class_a_share,
        whole.satisfaction_rate,
    ):
        assert rate is None or 0.0 <= rate <= 1.0
