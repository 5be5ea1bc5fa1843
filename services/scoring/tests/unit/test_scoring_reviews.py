"""The review workflow as a table: who may do what, from which status, to which."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kit.errors import ForbiddenError, InputError, TransitionError
from kit.principal import Principal
from scoring.domain.reviews import STEPS, Action, Status, require_reviewer, step

TOWN = "990101001"
AT = datetime(2026, 3, 1, tzinfo=UTC)


def who(role: str, scope: str = TOWN, deputy_id: str | None = None) -> Principal:
    return Principal(subject=f"u-{role}", roles=frozenset({role}), scope=scope, deputy_id=deputy_id)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("action", "principal", "allowed"),
    [
        (Action.first_review, who("township_staff"), True),
        (Action.first_review, who("township_staff", "990101002"), False),
        (Action.first_review, who("county_admin", "990101"), False),
        (Action.recheck, who("county_admin", "990101"), True),
        (Action.recheck, who("county_admin", "990102"), False),
        (Action.recheck, who("township_staff"), False),
        (Action.void, who("county_admin", "990101"), True),
        (Action.void, who("county_leader", "990101"), False),
        (Action.contest, who("deputy", deputy_id="d1"), True),
        (Action.contest, who("deputy", deputy_id="d2"), False),
        (Action.contest, who("township_staff"), False),
    ],
)
def test_who_may_act(action: Action, principal: Principal, allowed: bool) -> None:
    if allowed:
        require_reviewer(principal, action, TOWN, "d1")
    else:
        with pytest.raises(ForbiddenError):
            require_reviewer(principal, action, TOWN, "d1")


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("status", list(Status))
def test_each_action_starts_only_where_it_may(action: Action, status: Status) -> None:
    def take() -> Status:
        return step(action, status, reason="核对", recorded_at=AT, now=AT, contest_days=30).end

    if status in STEPS[action].start:
        assert take() is STEPS[action].end
    else:
        with pytest.raises(TransitionError):
            take()


def test_nothing_leaves_voided_and_the_chain_is_first_review_then_recheck() -> None:
    assert not any(Status.voided in s.start for s in STEPS.values())
    assert STEPS[Action.recheck].start == {Status.first_reviewed}


@pytest.mark.parametrize("action", [Action.contest, Action.void])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_contest_or_a_void_needs_a_reason(action: Action, reason: str | None) -> None:
    with pytest.raises(InputError):
        step(action, Status.provisional, reason=reason, recorded_at=AT, now=AT, contest_days=30)


def test_the_contest_window_closes_after_its_last_day() -> None:
    last = AT + timedelta(days=30)
    assert (
        step(
            Action.contest,
            Status.provisional,
            reason="x",
            recorded_at=AT,
            now=last,
            contest_days=30,
        ).end
        is Status.contested
    )
    with pytest.raises(TransitionError, match="window"):
        step(
            Action.contest,
            Status.provisional,
            reason="x",
            recorded_at=AT,
            now=last + timedelta(seconds=1),
            contest_days=30,
        )
