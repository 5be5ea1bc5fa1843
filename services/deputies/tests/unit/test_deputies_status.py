"""The mandate's state machine."""

from __future__ import annotations

from datetime import date

import pytest

from deputies.domain.errors import InputError, TransitionError
from deputies.domain.model import Deputy, DeputyStatus, Gender, Level, StatusReason
from deputies.domain.status import allowed, change_status


def a_deputy(status: DeputyStatus = DeputyStatus.active) -> Deputy:
    return Deputy(
        id="d1",
        township="990101001",
        name="张伟",
        gender=Gender.male,
        levels=frozenset({Level.township}),
        term=18,
        status=status,
        status_reason=StatusReason.elected,
        status_since=date(2021, 1, 10),
        suspended=frozenset({Level.township}) if status is DeputyStatus.suspended else frozenset(),
    )


@pytest.mark.parametrize(
    ("start", "target", "reason"),
    [
        (DeputyStatus.active, DeputyStatus.suspended, StatusReason.custody),
        (DeputyStatus.active, DeputyStatus.terminated, StatusReason.resignation),
        (DeputyStatus.active, DeputyStatus.terminated, StatusReason.moved_out),
        (DeputyStatus.suspended, DeputyStatus.active, StatusReason.reinstated),
        (DeputyStatus.suspended, DeputyStatus.terminated, StatusReason.recall),
    ],
)
def test_legal_changes_apply_and_bump_the_version(
    start: DeputyStatus, target: DeputyStatus, reason: StatusReason
) -> None:
    deputy = a_deputy(start)
    change = change_status(deputy, target, reason=reason, effective_date=date(2023, 5, 1))
    assert (deputy.status, deputy.status_reason, deputy.status_since) == (
        target,
        reason,
        date(2023, 5, 1),
    )
    assert change.from_status is start
    assert change.to_status is target
    assert deputy.version == 2


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (DeputyStatus.terminated, DeputyStatus.active),
        (DeputyStatus.terminated, DeputyStatus.suspended),
        (DeputyStatus.terminated, DeputyStatus.terminated),
        (DeputyStatus.active, DeputyStatus.active),
    ],
)
def test_illegal_changes_are_refused_and_change_nothing(
    start: DeputyStatus, target: DeputyStatus
) -> None:
    deputy = a_deputy(start)
    with pytest.raises(TransitionError):
        change_status(deputy, target, reason=StatusReason.other, effective_date=date(2023, 5, 1))
    assert deputy.status is start
    assert deputy.version == 1
    assert not allowed(start, target)


def test_a_reason_must_fit_the_target_status() -> None:
    deputy = a_deputy()
    with pytest.raises(InputError) as refused:
        change_status(
            deputy,
            DeputyStatus.suspended,
            reason=StatusReason.death,
            effective_date=date(2023, 5, 1),
        )
    assert refused.value.errors[0].loc == ("reason",)
    assert deputy.status is DeputyStatus.active


def test_a_change_cannot_predate_the_current_status() -> None:
    deputy = a_deputy()
    with pytest.raises(InputError) as refused:
        change_status(
            deputy,
            DeputyStatus.terminated,
            reason=StatusReason.death,
            effective_date=date(2020, 1, 1),
        )
    assert refused.value.errors[0].loc == ("effective_date",)
