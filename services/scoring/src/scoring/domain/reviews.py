"""The review workflow of a ledger entry: 初审, 复核, a deputy's contest (错重漏), voiding.

Points are never edited: a review moves the entry's status; a voided entry stops counting on the
card. Who may act: township staff first-review entries of their township, a county administrator
rechecks and voids, the entry's own deputy contests within the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from contracts.scoring import ContestOutcome
from contracts.vocabulary import ReviewDecision, ReviewStage
from kit.errors import ForbiddenError, TransitionError, invalid
from kit.principal import Principal, Role


class Status(StrEnum):
    """Where an entry stands in the review workflow."""

    provisional = "provisional"
    first_reviewed = "first_reviewed"
    rechecked = "rechecked"
    contested = "contested"
    voided = "voided"


class Action(StrEnum):
    """What a reviewer (or the deputy) does to an entry."""

    first_review = "first_review"
    recheck = "recheck"
    contest = "contest"
    void = "void"


@dataclass(frozen=True)
class Step:
    """An action's allowed starting statuses, its outcome and how the contract names it."""

    start: frozenset[Status]
    end: Status
    stage: ReviewStage
    decision: ReviewDecision


S = Status
STEPS = {
    Action.first_review: Step(
        frozenset({S.provisional, S.contested}),
        S.first_reviewed,
        ReviewStage.first_review,
        ReviewDecision.approved,
    ),
    Action.recheck: Step(
        frozenset({S.first_reviewed}), S.rechecked, ReviewStage.recheck, ReviewDecision.approved
    ),
    Action.contest: Step(
        frozenset({S.provisional, S.first_reviewed, S.rechecked}),
        S.contested,
        ReviewStage.contest,
        ReviewDecision.contested,
    ),
    Action.void: Step(
        frozenset({S.provisional, S.first_reviewed, S.rechecked, S.contested}),
        S.voided,
        ReviewStage.recheck,
        ReviewDecision.rejected,
    ),
}
"""Every action, from where it may start and where it leads."""


def require_reviewer(principal: Principal, action: Action, township: str, deputy_id: str) -> None:
    """Refuse a caller who may not take this action on an entry of this township and deputy."""
    if action is Action.first_review:
        allowed = principal.has(Role.township_staff) and principal.covers(township)
    elif action is Action.contest:
        allowed = principal.has(Role.deputy) and principal.deputy_id == deputy_id
    else:
        allowed = principal.has(Role.county_admin) and principal.covers(township)
    if not allowed:
        raise ForbiddenError(f"you may not {action.value} this entry", township=township)


def step(
    action: Action,
    status: Status,
    *,
    reason: str | None,
    recorded_at: datetime,
    now: datetime,
    contest_days: int,
    window_opened: str = "the entry was recorded",
) -> Step:
    """Return the step an action takes from a status, or refuse it (409, 422).

    The contest window runs ``contest_days`` from ``recorded_at`` (the moment it opened:
    the recording, or the period's publication, as ``window_opened`` says in words).
    """
    found = STEPS[action]
    if action in (Action.contest, Action.void) and not (reason and reason.strip()):
        raise invalid("reason", f"a {action.value} needs a reason", "missing")
    if status not in found.start:
        allowed = [a.value for a, s in STEPS.items() if status in s.start]
        raise TransitionError(
            f"cannot {action.value} an entry that is {status.value}", state=status, allowed=allowed
        )
    if action is Action.contest and now > recorded_at + timedelta(days=contest_days):
        raise TransitionError(
            f"the contest window of {contest_days} days after {window_opened} closed on "
            f"{(recorded_at + timedelta(days=contest_days)).date().isoformat()}",
            state=status,
        )
    return found


def require_resolver(principal: Principal, township: str) -> None:
    """Refuse anyone but a county administrator whose scope covers the entry's township."""
    if not (principal.has(Role.county_admin) and principal.covers(township)):
        raise ForbiddenError(
            "contests are resolved by the county administration", township=township
        )


def resolve(outcome: ContestOutcome, status: Status, before: Status, explanation: str) -> Status:
    """Return the status a contested entry takes when its contest is resolved (409, 422).

    upheld: the entry is wrong (错, 重) and stops counting (voided); corrected: the entry stands
    where it was until the corrected record replaces it by compensating entries (voiding it too
    would take it back twice); rejected: it stands where it was before the contest.
    """
    if not explanation.strip():
        raise invalid("explanation", "a resolution needs an explanation for the deputy", "missing")
    if status is not Status.contested:
        raise TransitionError(
            f"only a contested entry is resolved; this one is {status.value}", state=status
        )
    return Status.voided if outcome is ContestOutcome.upheld else before
