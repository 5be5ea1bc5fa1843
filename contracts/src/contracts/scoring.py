"""Events of the scoring service: the deputies' points ledger, scores and grades, township assessment."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Final
from uuid import UUID

from pydantic import Field

from contracts.common import (
    CountyCode,
    DeputyId,
    DivisionCode,
    EventData,
    Id,
    Part,
    TownshipCode,
    UserId,
    Year,
)
from contracts.vocabulary import (
    AssessmentDimension,
    AssessmentGrade,
    DeputyGrade,
    PointsCategory,
    ReviewDecision,
    ReviewStage,
)

EntryId = Annotated[
    str, Field(min_length=1, max_length=64, description="Ledger entry id (积分流水)")
]
Points = Annotated[float, Field(ge=-1000, le=1000, description="Points; negative for a deduction")]
_LEDGER = "deputy's points ledger (积分)"


class PointsRecorded(EventData):
    """An append-only ledger entry: points for one deputy, one rule, one source event."""

    EVENT_TYPE = "scoring.points.recorded"
    AGGREGATE = _LEDGER
    SUBJECT = "deputy_id"

    entry_id: EntryId
    deputy_id: DeputyId
    township: TownshipCode
    year: Year = Field(description="Scoring year the entry counts in")
    category: PointsCategory
    points: Points
    rule_id: Id = Field(description="Rule of the rule set that produced the entry")
    rule_set_version: int = Field(ge=1, description="Version of the county's rule set for the year")
    source_event_id: UUID = Field(description="Id of the event the entry derives from")
    source_event_type: str = Field(min_length=1, description="Type of that event")
    occurred_on: date = Field(description="Day of the deed the points are for")
    compensates: EntryId | None = Field(
        default=None, description="Entry this one reverses (corrections are compensating entries)"
    )


class PointsReviewed(EventData):
    """A ledger entry passed a review step: 初审, 复核, or a deputy's contest (错重漏)."""

    EVENT_TYPE = "scoring.points.reviewed"
    AGGREGATE = _LEDGER
    SUBJECT = "deputy_id"

    entry_id: EntryId
    deputy_id: DeputyId
    township: TownshipCode
    stage: ReviewStage
    decision: ReviewDecision
    reviewer_id: UserId = Field(description="Staff member, or the deputy for a contest")
    reason: str | None = Field(
        default=None, max_length=500, description="Why, when rejected or contested"
    )


class CategoryTotal(Part):
    """Points of one category in a total."""

    category: PointsCategory
    points: float = Field(description="Sum of the category's entries")


class ScoreChanged(EventData):
    """A deputy's yearly total changed."""

    EVENT_TYPE = "scoring.score.changed"
    AGGREGATE = _LEDGER
    SUBJECT = "deputy_id"

    deputy_id: DeputyId
    township: TownshipCode
    year: Year = Field(description="Scoring year")
    total: float = Field(description="All entries, provisional included")
    confirmed_total: float = Field(description="Entries that passed 复核 only")
    previous_total: float = Field(description="Total before this change")
    by_category: tuple[CategoryTotal, ...] = Field(default=(), description="Total by category")
    rule_set_version: int = Field(ge=1, description="Version of the rule set applied")


class GradeChanged(EventData):
    """A deputy's grade for the year changed (优秀/称职/不称职)."""

    EVENT_TYPE = "scoring.grade.changed"
    AGGREGATE = _LEDGER
    SUBJECT = "deputy_id"

    deputy_id: DeputyId
    township: TownshipCode
    year: Year = Field(description="Scoring year")
    grade: DeputyGrade
    previous_grade: DeputyGrade | None = Field(default=None, description="None for the first grade")
    total: float = Field(description="Total the grade is based on")


class ScorePublished(EventData):
    """Scores of a township's deputies were published for a period (亮分)."""

    EVENT_TYPE = "scoring.score.published"
    AGGREGATE = "score publication (亮分)"
    SUBJECT = "publication_id"

    publication_id: Id = Field(description="Publication id (亮分)")
    township: TownshipCode
    period_start: date = Field(description="First day of the period")
    period_end: date = Field(description="Last day of the period")
    period_label: str = Field(min_length=1, max_length=20, description="e.g. 2025-Q1")
    deputy_ids: tuple[DeputyId, ...] = Field(
        default=(), description="Deputies whose score is shown"
    )


class DimensionScore(Part):
    """Points of one assessment dimension against its maximum."""

    dimension: AssessmentDimension
    points: float = Field(ge=0, description="Points reached")
    max_points: float = Field(ge=0, description="Points available")
    evidence: tuple[str, ...] = Field(
        default=(), description="Ids of the events (facts) behind the dimension's points"
    )


class AssessmentPublished(EventData):
    """A township's work assessment (镇街人大工作考核) for a year was published."""

    EVENT_TYPE = "scoring.assessment.published"
    AGGREGATE = "township assessment (考核)"
    SUBJECT = "assessment_id"

    assessment_id: Id = Field(description="Assessment id (考核)")
    township: TownshipCode
    county: CountyCode
    year: Year = Field(description="Assessment year")
    total: float = Field(ge=0, description="Out of 100, plus bonus")
    dimensions: tuple[DimensionScore, ...] = Field(default=(), description="Points by dimension")
    grade: AssessmentGrade
    rank: int = Field(ge=1, description="Rank among the county's townships")
    ranked: int = Field(ge=1, description="Number of townships ranked")
    solved_rate: float | None = Field(
        default=None, ge=0, le=1, description="办成率: share of cases actually solved (class A)"
    )


class ContestOutcome(StrEnum):
    """How the county resolved a deputy's contest (错重漏) of a ledger entry."""

    upheld = "upheld"
    corrected = "corrected"
    rejected = "rejected"


class ContestResolved(EventData):
    """The county resolved a deputy's contest of a ledger entry, with an explanation they read."""

    EVENT_TYPE = "scoring.contest.resolved"
    AGGREGATE = _LEDGER
    SUBJECT = "deputy_id"

    entry_id: EntryId
    deputy_id: DeputyId
    township: TownshipCode
    outcome: ContestOutcome = Field(
        description="upheld: the entry stops counting; corrected: it is replaced by the corrected "
        "record; rejected: it stands"
    )
    explanation: str = Field(min_length=1, max_length=1000, description="Why, for the deputy")
    contest_reason: str = Field(min_length=1, max_length=500, description="The deputy's reason")
    resolver_id: UserId = Field(description="County administrator who resolved it")


class RuleSetActivated(EventData):
    """A county's deputy points rule set version became the active one for its year."""

    EVENT_TYPE = "scoring.rule_set.activated"
    AGGREGATE = "points rule set (积分规则)"
    SUBJECT = "rule_set_id"
    SCOPE = "county"

    rule_set_id: Id = Field(description="county/year/version")
    county: DivisionCode = Field(description="County the rules are for (6 digits)")
    year: Year = Field(description="Scoring year the rules apply to")
    version: int = Field(ge=1, description="Version activated")
    previous_version: int | None = Field(default=None, ge=1, description="Version it replaced")
    entries_changed: int = Field(ge=0, description="Ledger entries the re-derivation changed")
    activated_by: UserId = Field(description="County administrator who activated it")


EVENTS: Final[tuple[type[EventData], ...]] = (
    PointsRecorded,
    PointsReviewed,
    ScoreChanged,
    GradeChanged,
    ScorePublished,
    AssessmentPublished,
    ContestResolved,
    RuleSetActivated,
)
"""Every event type this service publishes, current versions."""
