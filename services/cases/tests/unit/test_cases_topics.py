"""Supervision topics against their contract: actions per state, progress, votes, bad input.

Complements ``test_cases_supervision.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given, settings, strategies as st

from cases.domain.errors import InputError
from cases.domain.topics import (
    DEFAULT_PROGRESS,
    Measure,
    MeasureStatus,
    Topic,
    TopicState,
    Vote,
    add_measure,
    allowed_actions,
    close,
    log_followup,
    open_topic,
    record_vote,
    submit_report,
)
from contracts.vocabulary import TopicOrigin
from kit.errors import TransitionError

DAY = date(2026, 6, 1)
TOWNSHIP = "330102001"


def measure(
    mid: str,
    weight: int = 1,
    status: MeasureStatus = MeasureStatus.planned,
    progress: int | None = None,
) -> Measure:
    """Return a measure owned by the transport bureau."""
    return Measure(
        mid, f"拓宽路段{mid}", "unit-traffic", date(2026, 10, 31), weight, status, progress
    )


def new_topic(*measures: Measure, **changes: object) -> Topic:
    """Open a topic from the annual plan with ``changes`` to otherwise valid fields."""
    fields: dict[str, object] = {
        "topic_id": "topic-1",
        "township": TOWNSHIP,
        "title": "农村公路安全隐患整治",
        "origin": TopicOrigin.plan,
        "year": 2026,
        "opened_on": DAY,
        "problems": ("急弯路段无护栏",),
        "measures": list(measures),
    }
    fields.update(changes)
    return open_topic(**fields)  # type: ignore[arg-type]


def follow(
    topic: Topic,
    mid: str | None = None,
    *,
    status: MeasureStatus | None = None,
    progress: int | None = None,
    note: str = "现场查看",
) -> int:
    """Log a follow-up and return the topic's progress after it."""
    entry = log_followup(
        topic,
        entry_id=f"e{len(topic.followups) + 1}",
        logged_on=DAY,
        by="u-staff",
        note=note,
        measure_id=mid,
        status=status,
        progress=progress,
    )
    assert entry == topic.followups[-1]
    return entry.progress_percent


def status_of(topic: Topic, mid: str) -> MeasureStatus:
    """Return the status of one of the topic's measures."""
    return topic.measure(mid).status


def in_state(state: str) -> Topic:
    """Return a one-measure topic driven to ``state`` (``voted`` = reporting, vote passed)."""
    topic = new_topic(measure("a", status=MeasureStatus.done))
    if state in ("reporting", "voted", "closed"):
        submit_report(topic, text="整改报告", on=DAY)
    if state in ("voted", "closed"):
        record_vote(topic, Vote(3, 1, 1), on=DAY)
    if state == "closed":
        close(topic, on=DAY)
    return topic


ACTIONS: dict[str, Callable[[Topic], object]] = {
    "add_measure": lambda t: add_measure(t, measure("new")),
    "log_followup": lambda t: follow(t),
    "submit_report": lambda t: submit_report(t, text="整改报告", on=DAY),
    "record_vote": lambda t: record_vote(t, Vote(2, 0, 1), on=DAY),
    "close": lambda t: close(t, on=DAY),
}
ALLOWED = {
    "open": ("add_measure", "withdraw_measure", "log_followup", "submit_report"),
    "reporting": ("record_vote",),
    "voted": ("close",),
    "closed": (),
}


@pytest.mark.parametrize(
    ("state", "action"), [(s, a) for s in ALLOWED for a in ACTIONS], ids=lambda v: str(v)
)
def test_each_action_is_possible_exactly_where_allowed(state: str, action: str) -> None:
    topic = in_state(state)
    assert tuple(allowed_actions(topic)) == ALLOWED[state]
    version = topic.version
    if action in ALLOWED[state]:
        ACTIONS[action](topic)
        assert topic.version == version + 1
    else:
        with pytest.raises(TransitionError) as caught:
            ACTIONS[action](topic)
        assert caught.value.state == topic.state
        assert caught.value.allowed == ALLOWED[state]
        assert action in str(caught.value)
        assert topic.version == version


def test_states_carry_their_values() -> None:
    assert [s.value for s in TopicState] == ["open", "reporting", "closed"]
    assert dict(DEFAULT_PROGRESS) == {"planned": 0, "in_progress": 50, "done": 100}
    with pytest.raises(TypeError):
        DEFAULT_PROGRESS[MeasureStatus.done] = 90  # type: ignore[index]


@pytest.mark.parametrize(
    ("measures", "progress"),
    [
        ((), 0),
        ((measure("a"),), 0),
        ((measure("a", status=MeasureStatus.in_progress),), 50),
        ((measure("a", status=MeasureStatus.done),), 100),
        ((measure("a", status=MeasureStatus.in_progress, progress=30),), 30),
        ((measure("a", status=MeasureStatus.planned, progress=10),), 10),
        ((measure("a", status=MeasureStatus.done, progress=40),), 100),  # done means 100
        ((measure("a", 3, MeasureStatus.done), measure("b", 1)), 75),
        ((measure("a", 1, MeasureStatus.done), measure("b", 3)), 25),
        ((measure("a", 2, MeasureStatus.in_progress, 33), measure("b", 1)), 22),  # 66/3
        ((measure("a", 1, progress=1), measure("b", 2)), 0),  # 1/3 rounds down
        ((measure("a", 1, progress=2), measure("b", 2, progress=1)), 1),  # 4/3
    ],
)
def test_progress_is_the_weighted_rounded_mean(
    measures: tuple[Measure, ...], progress: int
) -> None:
    topic = new_topic(*measures)
    assert topic.progress == progress
    assert topic.rectified is (bool(measures) and progress == 100)


def test_follow_ups_move_measures_and_record_the_progress_after_them() -> None:
    topic = new_topic(measure("a", 3), measure("b"))
    assert follow(topic, note="约谈交通局") == 0
    assert topic.followups[0].measure_id is None
    assert follow(topic, "a", progress=0) == 0
    assert status_of(topic, "a") is MeasureStatus.planned
    assert follow(topic, "a", progress=40) == 30
    assert status_of(topic, "a") is MeasureStatus.in_progress
    assert follow(topic, "b", status=MeasureStatus.in_progress) == 42  # 170 / 4, half to even
    assert follow(topic, "a", progress=100) == 88  # 350 / 4, half to even
    assert status_of(topic, "a") is MeasureStatus.done
    assert follow(topic, "a", progress=90) == 80  # a done measure reopens below 100
    assert status_of(topic, "a") is MeasureStatus.in_progress
    assert follow(topic, "a", status=MeasureStatus.done) == 88
    assert follow(topic, "b", status=MeasureStatus.done, progress=100) == 100
    assert topic.rectified
    assert [f.progress_percent for f in topic.followups] == [0, 0, 30, 42, 88, 80, 88, 100]
    assert topic.version == 1 + len(topic.followups)


def test_a_status_without_explicit_progress_resets_to_its_default() -> None:
    topic = new_topic(measure("a", status=MeasureStatus.in_progress, progress=80))
    assert follow(topic, "a", status=MeasureStatus.in_progress) == 80  # keeps its own value
    assert follow(topic, "a", status=MeasureStatus.planned) == 0
    assert topic.measures[0].progress is None
    assert follow(topic, "a", progress=100) == 100
    assert follow(topic, "a", status=MeasureStatus.in_progress) == 50  # not a 100% unfinished
    assert not topic.rectified


def test_a_failing_vote_sends_the_report_back_and_the_second_one_passes() -> None:
    topic = new_topic(measure("a"), measure("b", 2))
    with pytest.raises(InputError) as caught:
        submit_report(topic, text="整改报告", on=DAY)
    assert "a, b" in str(caught.value)
    follow(topic, "a", status=MeasureStatus.done)
    with pytest.raises(InputError) as caught:
        submit_report(topic, text="整改报告", on=DAY)
    assert caught.value.errors[0].loc == ("measures",)
    assert "b" in caught.value.errors[0].msg
    assert "a" not in caught.value.errors[0].msg
    follow(topic, "b", progress=100)
    submit_report(topic, text="整改报告", on=DAY)
    assert (topic.state, topic.report) == (TopicState.reporting, "整改报告")
    assert record_vote(topic, Vote(5, 0, 5), on=DAY).passes is False  # 报告被退回
    assert (topic.state, topic.report, topic.vote_passed) == (TopicState.open, "", False)
    follow(topic, note="补充整改")
    submit_report(topic, text="整改报告（第二稿）", on=DAY)
    assert record_vote(topic, Vote(4, 2, 5), on=DAY).passes is True
    assert topic.state is TopicState.reporting
    assert topic.vote_passed
    close(topic, on=date(2026, 7, 1))
    assert (topic.state, topic.closed_on) == (TopicState.closed, date(2026, 7, 1))
    assert [v.passes for v in topic.votes] == [False, True]


@pytest.mark.parametrize(
    ("votes", "passes"),
    [
        ((1, 0, 0), True),
        ((0, 1, 0), True),
        ((0, 0, 1), False),
        ((5, 0, 5), False),  # an even split is no majority
        ((3, 2, 5), False),
        ((3, 3, 5), True),
        ((0, 6, 5), True),
        ((1, 1, 2), False),
        ((2, 1, 2), True),
    ],
)
def test_a_vote_passes_with_more_than_half_of_the_votes_cast(
    votes: tuple[int, int, int], passes: bool
) -> None:
    vote = Vote(*votes)
    assert vote.passes is passes
    assert vote.total == sum(votes)
    topic = in_state("reporting")
    assert record_vote(topic, vote, on=DAY).passes is passes


@pytest.mark.parametrize("votes", [(0, 0, 0), (-1, 2, 0), (1, 0, -1)])
def test_impossible_counts_are_refused_and_change_nothing(votes: tuple[int, int, int]) -> None:
    topic = in_state("reporting")
    with pytest.raises(InputError) as caught:
        record_vote(topic, Vote(*votes), on=DAY)
    assert caught.value.errors[0].loc == ("vote",)
    assert (topic.votes, topic.version, topic.state) == ([], 2, TopicState.reporting)


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"title": ""}, ("title",)),
        ({"title": "  "}, ("title",)),
        ({"township": "33010200"}, ("township",)),
        ({"township": "3301020012"}, ("township",)),
        ({"origin": TopicOrigin.case_cluster}, ("case_ids",)),
        ({"case_ids": ("c1", "c1")}, ("case_ids",)),
        ({"problems": ("",)}, ("problems", 0)),
        ({"measures": [measure("a", weight=0)]}, ("measures", 0, "weight")),
        ({"measures": [measure("a", progress=101)]}, ("measures", 0, "progress")),
        ({"measures": [measure("a", progress=-1)]}, ("measures", 0, "progress")),
        ({"measures": [measure("a", progress=100)]}, ("measures", 0, "progress")),  # not done
        ({"measures": [measure("a"), measure("a")]}, ("measures",)),
    ],
)
def test_bad_topics_are_refused_naming_the_field(
    changes: dict[str, object], loc: tuple[str | int, ...]
) -> None:
    with pytest.raises(InputError) as caught:
        new_topic(**changes)
    assert loc in [e.loc for e in caught.value.errors]


def test_origins_need_cases_only_when_grown_from_a_cluster() -> None:
    assert new_topic().case_ids == ()
    cluster = new_topic(origin=TopicOrigin.case_cluster, case_ids=["c1", "c2"])
    assert cluster.case_ids == ("c1", "c2")
    assert (cluster.state, cluster.version, cluster.closed_on) == (TopicState.open, 1, None)


@pytest.mark.parametrize(
    ("new", "loc"),
    [
        (measure("a"), ("measure_id",)),
        (measure("b", weight=0), ("weight",)),
        (measure("b", progress=101), ("progress",)),
    ],
)
def test_bad_measures_are_refused_when_added(new: Measure, loc: tuple[str, ...]) -> None:
    topic = new_topic(measure("a"))
    with pytest.raises(InputError) as caught:
        add_measure(topic, new)
    assert loc in [e.loc for e in caught.value.errors]
    assert (len(topic.measures), topic.version) == (1, 1)


@pytest.mark.parametrize(
    ("mid", "status", "progress", "loc"),
    [
        ("ghost", None, None, "measure_id"),
        (None, MeasureStatus.done, None, "measure_id"),
        (None, None, 10, "measure_id"),
        ("a", None, 101, "progress"),
        ("a", None, -5, "progress"),
        ("a", MeasureStatus.done, 40, "progress"),
    ],
)
def test_bad_follow_ups_are_refused_naming_the_field(
    mid: str | None, status: MeasureStatus | None, progress: int | None, loc: str
) -> None:
    topic = new_topic(measure("a", status=MeasureStatus.in_progress))
    with pytest.raises(InputError) as caught:
        follow(topic, mid, status=status, progress=progress)
    assert caught.value.errors[0].loc == (loc,)
    assert (topic.followups, topic.version, topic.progress) == ([], 1, 50)


def test_a_follow_up_without_a_measure_needs_a_note() -> None:
    with pytest.raises(InputError) as caught:
        follow(new_topic(), note=" ")
    assert caught.value.errors[0].loc == ("note",)


_SPECS = st.lists(
    st.tuples(st.integers(1, 5), st.sampled_from(list(MeasureStatus))), min_size=0, max_size=6
)
_STEPS = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.one_of(st.none(), st.sampled_from(list(MeasureStatus))),
        st.one_of(st.none(), st.sampled_from([0, 1, 50, 99, 100]), st.integers(0, 100)),
    ),
    max_size=8,
)


@settings(max_examples=100, deadline=None)
@given(specs=_SPECS, steps=_STEPS)
def test_progress_stays_in_bounds_through_any_follow_ups(
    specs: list[tuple[int, MeasureStatus]],
    steps: list[tuple[int, MeasureStatus | None, int | None]],
) -> None:
    topic = new_topic(*(measure(str(i), w, s) for i, (w, s) in enumerate(specs)))
    for index, status, progress in steps:
        if not specs or (status is MeasureStatus.done and progress not in (None, 100)):
            continue
        follow(topic, str(index % len(specs)), status=status, progress=progress)
        assert 0 <= topic.progress <= 100
        assert topic.followups[-1].progress_percent == topic.progress
    percents = [m.percent for m in topic.measures]
    assert min(percents, default=0) <= topic.progress <= max(percents, default=0)
    assert all(m.status is MeasureStatus.done or m.percent < 100 for m in topic.measures)


@settings(max_examples=100, deadline=None)
@given(specs=_SPECS, moves=st.lists(st.sampled_from(list(MeasureStatus)), max_size=8))
def test_without_explicit_progress_it_is_full_exactly_when_all_is_done(
    specs: list[tuple[int, MeasureStatus]], moves: list[MeasureStatus]
) -> None:
    topic = new_topic(*(measure(str(i), w, s) for i, (w, s) in enumerate(specs)))
    for i, status in enumerate([None, *moves]):
        if specs and status is not None:
            follow(topic, str(i % len(specs)), status=status)
        assert 0 <= topic.progress <= 100
        assert (topic.progress == 100) is topic.rectified
        assert topic.rectified is (
            bool(specs) and all(m.status is MeasureStatus.done for m in topic.measures)
        )
