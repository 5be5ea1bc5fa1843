"""Supervision topics: states and actions, weighted progress, the majority vote, bad input."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings, strategies as st

from cases.domain.errors import InputError
from cases.domain.topics import (
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

DAY = date(2026, 5, 10)


def measure(mid: str, weight: int = 1, status: MeasureStatus = MeasureStatus.planned) -> Measure:
    """Return a measure owned by the water bureau."""
    return Measure(mid, f"措施{mid}", "water", date(2026, 12, 31), weight=weight, status=status)


def topic(*measures: Measure) -> Topic:
    """Open a topic from the plan with the given measures."""
    return open_topic(
        topic_id="t1",
        township="990101001",
        title="农村饮用水安全",
        origin=TopicOrigin.plan,
        year=2026,
        opened_on=DAY,
        problems=("水压不足",),
        measures=list(measures),
    )


def follow(
    t: Topic,
    mid: str | None,
    *,
    status: MeasureStatus | None = None,
    progress: int | None = None,
) -> int:
    """Log a follow-up and return the topic's progress after it."""
    entry = log_followup(
        t,
        entry_id="e",
        logged_on=DAY,
        by="staff",
        note="跟踪",
        measure_id=mid,
        status=status,
        progress=progress,
    )
    return entry.progress_percent


def test_progress_is_the_weighted_mean_of_status_defaults_and_explicit_values() -> None:
    t = topic(measure("a", 3), measure("b", 1))
    assert t.progress == 0
    assert follow(t, "a", status=MeasureStatus.in_progress) == round(3 * 50 / 4)
    assert follow(t, "b", progress=20) == round((3 * 50 + 20) / 4)
    assert t.measure("b").status is MeasureStatus.in_progress
    assert follow(t, "a", status=MeasureStatus.done) == round((300 + 20) / 4)
    assert follow(t, "b", progress=100) == 100
    assert t.rectified


def test_a_topic_without_measures_has_no_progress_and_is_not_rectified() -> None:
    t = topic()
    assert t.progress == 0
    assert not t.rectified
    with pytest.raises(InputError):
        submit_report(t, text="报告", on=DAY)


@pytest.mark.parametrize(
    ("votes", "passes"),
    [
        ((5, 0, 0), True),
        ((2, 1, 2), True),  # 3 of 5
        ((2, 0, 2), False),  # a tie is no majority
        ((5, 0, 5), False),
        ((0, 1, 0), True),
        ((0, 0, 1), False),
    ],
)
def test_the_vote_passes_with_a_majority_of_votes_cast(
    votes: tuple[int, int, int], passes: bool
) -> None:
    assert Vote(*votes).passes is passes


def test_a_failing_vote_sends_the_report_back_and_a_second_report_can_pass() -> None:
    t = topic(measure("a", status=MeasureStatus.done))
    submit_report(t, text="整改报告", on=DAY)
    assert allowed_actions(t) == ("record_vote",)
    assert record_vote(t, Vote(1, 1, 3), on=DAY).passes is False
    assert t.state is TopicState.open
    assert t.report == ""
    submit_report(t, text="整改报告（修订）", on=DAY)
    assert record_vote(t, Vote(4, 1, 1), on=DAY).passes is True
    assert allowed_actions(t) == ("close",)
    close(t, on=DAY)
    assert t.state.value == "closed"
    assert t.closed_on == DAY
    assert len(t.votes) == 2
    assert allowed_actions(t) == ()


@pytest.mark.parametrize(
    ("state_of", "action"),
    [
        ("reporting", lambda t: add_measure(t, measure("z"))),
        ("reporting", lambda t: follow(t, None)),
        ("open", lambda t: record_vote(t, Vote(1, 0, 0), on=DAY)),
        ("open", lambda t: close(t, on=DAY)),
        ("reporting", lambda t: close(t, on=DAY)),  # the vote has not passed yet
        ("closed", lambda t: follow(t, None)),
    ],
)
def test_illegal_steps_name_the_state_and_the_allowed_actions(
    state_of: str, action: object
) -> None:
    t = topic(measure("a", status=MeasureStatus.done))
    if state_of in ("reporting", "closed"):
        submit_report(t, text="报告", on=DAY)
    if state_of == "closed":
        record_vote(t, Vote(3, 0, 0), on=DAY)
        close(t, on=DAY)
    version = t.version
    with pytest.raises(TransitionError) as caught:
        action(t)  # type: ignore[operator]
    assert caught.value.state == t.state
    assert t.version == version


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": " "}, "title"),
        ({"township": "9901"}, "township"),
        ({"origin": TopicOrigin.case_cluster}, "case_ids"),
        ({"measures": [measure("a", weight=0)]}, "weight"),
        ({"measures": [measure("a"), measure("a")]}, "measures"),
    ],
)
def test_bad_topics_are_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    values: dict[str, object] = {
        "topic_id": "t",
        "township": "990101001",
        "title": "饮水安全",
        "origin": TopicOrigin.plan,
        "year": 2026,
        "opened_on": DAY,
        **changes,
    }
    with pytest.raises(InputError) as caught:
        open_topic(**values)  # type: ignore[arg-type]
    assert field in str([e.loc for e in caught.value.errors])


def test_bad_follow_ups_are_refused() -> None:
    t = topic(measure("a"))
    with pytest.raises(InputError):
        follow(t, "ghost")
    with pytest.raises(InputError):
        follow(t, "a", progress=101)
    with pytest.raises(InputError):
        follow(t, None, status=MeasureStatus.done)
    with pytest.raises(InputError):
        record_vote_on_reporting_with_no_votes()


def record_vote_on_reporting_with_no_votes() -> None:
    """Record an empty vote on a topic awaiting its vote."""
    t = topic(measure("a", status=MeasureStatus.done))
    submit_report(t, text="报告", on=DAY)
    record_vote(t, Vote(0, 0, 0), on=DAY)


_MEASURES = st.lists(
    st.tuples(st.integers(1, 5), st.sampled_from(list(MeasureStatus))), min_size=1, max_size=6
)


@settings(max_examples=100, deadline=None)
@given(specs=_MEASURES)
def test_progress_stays_within_bounds_and_is_full_only_when_all_is_done(
    specs: list[tuple[int, MeasureStatus]],
) -> None:
    t = topic(*(measure(str(i), w, s) for i, (w, s) in enumerate(specs)))
    assert 0 <= t.progress <= 100
    assert (t.progress == 100) is t.rectified
