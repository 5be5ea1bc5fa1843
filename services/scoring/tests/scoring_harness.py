"""Builders of facts and rule sets for the scoring tests: short to call, explicit in what they make."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from contracts.vocabulary import (
    ActivityType,
    CaseKind,
    DeputyStatus,
    Level,
    OutletLevel,
    Placement,
    ReopenReason,
    ReplyClass,
    Satisfaction,
    TownshipKind,
)
from scoring.domain import facts as f
from scoring.domain.documents import default_rule_set, rule_set_from
from scoring.domain.rules import RuleSet

COUNTY = "330102"
TOWN = "330102001"
STREET = "330102002"
YEAR = 2026
AS_OF = date(YEAR + 1, 3, 1)
"""The day the tests assess on: every deadline of the year has passed."""
COUNTY_ONLY = frozenset({Level.county})
TOWNSHIP_ONLY = frozenset({Level.township})
JOINT = frozenset({Level.county, Level.township})
P = f.Presence


def src(
    event_type: str = "test.event", *, event_id: UUID | None = None, on: date | None = None
) -> f.Source:
    """Return a fresh source (a new event id unless given)."""
    return f.Source(event_id or uuid4(), event_type, on or date(YEAR, 6, 1))


def rules(**changes: Any) -> RuleSet:
    """Return the seeded rule set for the test county and year, with top-level keys replaced."""
    base = default_rule_set(COUNTY, YEAR).model_dump(mode="json")
    return rule_set_from({**base, **changes})


def activity(
    activity_id: str,
    kind: ActivityType,
    attendance: dict[str, f.Presence],
    *,
    on: date = date(YEAR, 3, 10),
    hours: str = "3",
    levels: frozenset[Level] = COUNTY_ONLY,
    version: int = 1,
    township: str = TOWN,
    event_id: UUID | None = None,
) -> f.ActivityHeld:
    """Return an activity logged (version 1) or corrected (a later version)."""
    event_type = "deputies.activity.corrected" if version > 1 else "deputies.activity.logged"
    return f.ActivityHeld(
        src(event_type, event_id=event_id),
        activity_id,
        township,
        kind,
        levels,
        on,
        Decimal(hours),
        tuple(attendance.items()),
        version,
        corrects=version > 1,
    )


def cancel(activity_id: str, version: int, township: str = TOWN) -> f.ActivityCancelled:
    """Return the cancellation of an activity at a version."""
    return f.ActivityCancelled(src("deputies.activity.cancelled"), activity_id, township, version)


def suggestion(
    case_id: str, lead: str, *co: str, on: date = date(YEAR, 2, 1), township: str = TOWN
) -> f.SuggestionFiled:
    """Return a suggestion filed by ``lead`` with joint signatories ``co``."""
    return f.SuggestionFiled(src("cases.suggestion.submitted"), case_id, township, lead, co, on)


def reply(
    case_id: str,
    reply_class: ReplyClass,
    *,
    kind: CaseKind = CaseKind.suggestion,
    on_time: bool = True,
    on: date = date(YEAR, 4, 1),
    township: str = TOWN,
    round_: int = 1,
    due: date | None = None,
) -> f.CaseReplied:
    """Return a reply to a case (in a handling round), due a month after (on time) or before."""
    if due is None:
        due = on + timedelta(days=30 if on_time else -30)
    return f.CaseReplied(
        src("cases.case.replied"), case_id, township, kind, reply_class, on_time, on, round_, due
    )


def assigned(
    case_id: str, kind: CaseKind = CaseKind.suggestion, *, key_chase: bool = False
) -> f.CaseAssigned:
    """Return a case's assignment (交办), flagged for 重点督办 or not."""
    return f.CaseAssigned(
        src("cases.case.assigned"), case_id, TOWN, kind, date(YEAR, 2, 10), key_chase
    )


def reopened(
    case_id: str, round_: int = 2, reason: ReopenReason = ReopenReason.instruction
) -> f.CaseReopened:
    """Return a case handed back for re-handling (重新办理) in a new round."""
    return f.CaseReopened(
        src("cases.case.reopened"), case_id, TOWN, reason, date(YEAR, 6, 1), round_
    )


def overdue(case_id: str, due_on: date, round_: int = 1) -> f.CaseOverdue:
    """Return a case's overdue notice for a round."""
    return f.CaseOverdue(src("cases.case.overdue"), case_id, TOWN, due_on, round_)


def key_chase(case_id: str, on: date = date(YEAR, 3, 1)) -> f.KeyChaseDesignated:
    """Return a 重点督办 designation."""
    return f.KeyChaseDesignated(src("cases.case.key_chase_designated"), case_id, TOWN, on)


def feedback(
    case_id: str, deputy_id: str, result: Satisfaction = Satisfaction.satisfied
) -> f.FeedbackGiven:
    """Return a deputy's rating of a reply's result."""
    return f.FeedbackGiven(
        src("cases.case.feedback_given"), case_id, TOWN, deputy_id, result, date(YEAR, 4, 5)
    )


def closed(
    case_id: str,
    *,
    solved: bool,
    on_time: bool,
    replied: bool = True,
    township: str = TOWN,
    on: date = date(YEAR, 5, 1),
) -> f.CaseClosed:
    """Return a case closure."""
    return f.CaseClosed(
        src("cases.case.closed"),
        case_id,
        township,
        CaseKind.suggestion,
        replied,
        solved,
        on_time,
        on,
    )


def township(code: str, kind: TownshipKind = TownshipKind.town) -> f.TownshipKnown:
    """Return a township registration."""
    return f.TownshipKnown(src("deputies.township.registered"), code, code[:6], kind)


def deputy(
    deputy_id: str,
    code: str = TOWN,
    status: DeputyStatus = DeputyStatus.active,
    version: int = 1,
) -> f.DeputyOnRoster:
    """Return a deputy's roster record."""
    return f.DeputyOnRoster(
        src("deputies.deputy.registered"), deputy_id, code, TOWNSHIP_ONLY, status, version
    )


def published(
    manuscript_id: str,
    level: OutletLevel,
    placement: Placement,
    code: str = TOWN,
    on: date = date(YEAR, 7, 1),
) -> f.ManuscriptPublished:
    """Return a manuscript publication."""
    return f.ManuscriptPublished(
        src("deputies.manuscript.published"), manuscript_id, code, level, placement, on
    )
