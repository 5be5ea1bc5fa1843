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


def mandates_affected(
    deputy: Deputy, to_status: DeputyStatus, level: Level | None
) -> frozenset[Level]:
    """Return the mandates a change touches: one ending mandate of two, else all the person's."""
    if level is not None and level not in deputy.levels:
        raise invalid("level", f"the deputy holds no {level} mandate")
    if level is not None and to_status is DeputyStatus.terminated and len(deputy.levels) > 1:
        return frozenset({level})
    return deputy.levels


def change_status(
    deputy: Deputy,
    to_status: DeputyStatus,
    *,
    reason: StatusReason,
    effective_date: date,
    note: str | None = None,
    level: Level | None = None,
) -> StatusChange:
    """Apply a status change to a deputy and return the history entry it adds.

    Ending one of two mandates (county and township congress) removes that level and leaves the
    other mandate running; every other change concerns the person, so all their mandates.
    """
    affected = mandates_affected(deputy, to_status, level)
    if affected != deputy.levels:
        (only,) = affected
        _check_date(deputy, effective_date)
        deputy.levels = deputy.levels - affected
        deputy.version += 1
        return StatusChange(
            deputy_id=deputy.id,
            from_status=deputy.status,
            to_status=to_status,
            reason=_checked_reason(deputy.status, to_status, reason),
            effective_date=effective_date,
            note=note,
            level=only,
        )
    if not allowed(deputy.status, to_status):
        raise TransitionError(
            f"a {deputy.status} deputy cannot become {to_status}"
            if deputy.status is not to_status
            else f"the deputy is already {to_status}"
        )
    _checked_reason(deputy.status, to_status, reason)
    _check_date(deputy, effective_date)
    change = StatusChange(
        deputy_id=deputy.id,
        from_status=deputy.status,
        to_status=to_status,
        reason=reason,
        effective_date=effective_date,
        note=note,
        level=level if level is not None else _single(deputy.levels),
    )
    deputy.status = to_status
    deputy.status_reason = reason
    deputy.status_since = effective_date
    deputy.version += 1
    return change


def _single(levels: frozenset[Level]) -> Level | None:
    return next(iter(levels)) if len(levels) == 1 else None


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


def undo(deputy: Deputy, change: StatusChange, before: StatusChange | None) -> None:
    """Put a deputy back where an applied change found them (``before``: the entry before it)."""
    if change.state is not ChangeState.applied:
        raise TransitionError("only a change in force can be undone")
    if change.from_status is None:
        raise TransitionError("the registration is not a status change; correct the roster")
    if change.level is not None and change.level not in deputy.levels and deputy.levels:
        deputy.levels = deputy.levels | {change.level}  # the ended mandate runs again
    else:
        deputy.status = change.from_status
        deputy.status_reason = before.reason if before else StatusReason.elected
        deputy.status_since = before.effective_date if before else deputy.elected_on
    deputy.version += 1


def initial_reason(by_election: bool) -> StatusReason:
    """Return the reason of a new mandate's first history entry."""
    return StatusReason.by_election if by_election else StatusReason.elected
