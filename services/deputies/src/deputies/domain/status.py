"""The mandate's state machine: which status changes are legal, and for which reasons."""

from __future__ import annotations

from datetime import date
from typing import Final

from deputies.domain.errors import TransitionError, invalid
from deputies.domain.model import (
    ChangeState,
    Deputy,
    DeputyStatus,
    Level,
    StatusChange,
    StatusReason,
)

_ENDINGS: Final = frozenset(
    {
        StatusReason.resignation,
        StatusReason.recall,
        StatusReason.transfer,
        StatusReason.moved_out,
        StatusReason.death,
        StatusReason.absence,
        StatusReason.other,
    }
)

#: from status -> to status -> reasons that justify the change
TRANSITIONS: Final[dict[DeputyStatus, dict[DeputyStatus, frozenset[StatusReason]]]] = {
    DeputyStatus.active: {
        DeputyStatus.suspended: frozenset({StatusReason.custody, StatusReason.other}),
        DeputyStatus.terminated: _ENDINGS,
    },
    DeputyStatus.suspended: {
        DeputyStatus.active: frozenset({StatusReason.reinstated}),
        DeputyStatus.terminated: _ENDINGS,
    },
    DeputyStatus.terminated: {},
}


def allowed(from_status: DeputyStatus, to_status: DeputyStatus) -> bool:
    """Tell whether a status change is legal at all."""
    return to_status in TRANSITIONS[from_status]


def mandate_of(deputy: Deputy, level: Level | None) -> Level:
    """Return the mandate a change names: required when the person holds two, else their one."""
    if level is None:
        if len(deputy.levels) != 1:
            raise invalid("level", "name the mandate: county or township congress")
        (only,) = deputy.levels
        return only
    if level not in deputy.levels:
        raise invalid("level", f"the deputy holds no running {level} mandate")
    return level


def change_status(
    deputy: Deputy,
    to_status: DeputyStatus,
    *,
    reason: StatusReason,
    effective_date: date,
    note: str | None = None,
    level: Level | None = None,
) -> StatusChange:
    """Change one mandate's status and return the history entry it adds.

    Each mandate (county and township congress) has its own status; ending one of two removes
    that level and leaves the other running. The person's status follows from their mandates:
    terminated when the last one ends, suspended while every running one is, else active.
    """
    mandate = mandate_of(deputy, level)
    from_status = deputy.mandate_status(mandate)
    if not allowed(from_status, to_status):
        raise TransitionError(
            f"a {from_status} {mandate} mandate cannot become {to_status}"
            if from_status is not to_status
            else f"the {mandate} mandate is already {to_status}"
        )
    _checked_reason(from_status, to_status, reason)
    _check_date(deputy, effective_date)
    set_mandate(deputy, mandate, to_status)
    deputy.status_reason = reason
    deputy.status_since = effective_date
    deputy.version += 1
    return StatusChange(
        deputy_id=deputy.id,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        effective_date=effective_date,
        note=note,
        level=mandate,
    )


def set_mandate(deputy: Deputy, level: Level, status: DeputyStatus) -> None:
    """Put one mandate in a status and derive the person's status from all of them."""
    if status is DeputyStatus.terminated:
        if deputy.levels - {level}:
            deputy.levels = deputy.levels - {level}
        else:
            deputy.status = DeputyStatus.terminated
        deputy.suspended = deputy.suspended - {level}
    else:
        if deputy.status is DeputyStatus.terminated:
            deputy.status = status  # the ended last mandate runs again
        deputy.levels = deputy.levels | {level}
        if status is DeputyStatus.suspended:
            deputy.suspended = deputy.suspended | {level}
        else:
            deputy.suspended = deputy.suspended - {level}
    deputy.derive_status()


def _checked_reason(
    from_status: DeputyStatus, to_status: DeputyStatus, reason: StatusReason
) -> StatusReason:
    if not allowed(from_status, to_status):
        raise TransitionError(f"a {from_status} deputy cannot become {to_status}")
    if reason not in TRANSITIONS[from_status][to_status]:
        reasons = ", ".join(sorted(TRANSITIONS[from_status][to_status]))
        raise invalid("reason", f"{reason} does not lead to {to_status}; use one of: {reasons}")
    return reason


def _check_date(deputy: Deputy, effective_date: date) -> None:
    since = deputy.status_since or deputy.elected_on
    if since is not None and effective_date < since:
        raise invalid(
            "effective_date", f"must not precede the current status date {since.isoformat()}"
        )


def undo(deputy: Deputy, change: StatusChange, latest: StatusChange | None) -> None:
    """Put a change's mandate back where the change found it (``latest``: the newest entry left)."""
    if change.state is not ChangeState.applied:
        raise TransitionError("only a change in force can be undone")
    if change.from_status is None or change.level is None:
        raise TransitionError("the registration is not a status change; correct the roster")
    set_mandate(deputy, change.level, change.from_status)
    deputy.status_reason = latest.reason if latest else StatusReason.elected
    deputy.status_since = latest.effective_date if latest else deputy.elected_on
    deputy.version += 1


def initial_reason(by_election: bool) -> StatusReason:
    """Return the reason of a new mandate's first history entry."""
    return StatusReason.by_election if by_election else StatusReason.elected
