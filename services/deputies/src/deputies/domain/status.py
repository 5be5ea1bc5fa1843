"""The mandate's state machine: which status changes are legal, and for which reasons."""

from __future__ import annotations

from datetime import date
from typing import Final

from deputies.domain.errors import TransitionError, invalid
from deputies.domain.model import Deputy, DeputyStatus, StatusChange, StatusReason

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


def change_status(
    deputy: Deputy,
    to_status: DeputyStatus,
    *,
    reason: StatusReason,
    effective_date: date,
    note: str | None = None,
) -> StatusChange:
    """Apply a status change to a deputy and return the history entry it adds."""
    if not allowed(deputy.status, to_status):
        raise TransitionError(
            f"a {deputy.status} deputy cannot become {to_status}"
            if deputy.status is not to_status
            else f"the deputy is already {to_status}"
        )
    if reason not in TRANSITIONS[deputy.status][to_status]:
        reasons = ", ".join(sorted(TRANSITIONS[deputy.status][to_status]))
        raise invalid("reason", f"{reason} does not lead to {to_status}; use one of: {reasons}")
    since = deputy.status_since or deputy.elected_on
    if since is not None and effective_date < since:
        raise invalid(
            "effective_date", f"must not precede the current status date {since.isoformat()}"
        )
    change = StatusChange(
        deputy_id=deputy.id,
        from_status=deputy.status,
        to_status=to_status,
        reason=reason,
        effective_date=effective_date,
        note=note,
    )
    deputy.status = to_status
    deputy.status_reason = reason
    deputy.status_since = effective_date
    deputy.version += 1
    return change


def initial_reason(by_election: bool) -> StatusReason:
    """Return the reason of a new mandate's first history entry."""
    return StatusReason.by_election if by_election else StatusReason.elected
