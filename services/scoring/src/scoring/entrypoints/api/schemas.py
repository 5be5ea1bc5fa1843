"""Request and response bodies of the scoring API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contracts.scoring import ContestOutcome
from scoring.domain.proposals import Consequence, Decision
from scoring.domain.reviews import Status


class Body(BaseModel):
    """A request body: unknown fields refused."""

    model_config = ConfigDict(extra="forbid")


class RuleSetIn(Body):
    """A rule set document to store as the next draft of its county and year."""

    county: str = Field(pattern=r"^\d{6}$", description="County the rules are for")
    document: str = Field(
        min_length=1, max_length=200_000, description="The rule set as YAML (see the JSON Schema)"
    )


class RuleSetOut(BaseModel):
    """A rule set version and where it stands."""

    county: str
    year: int
    version: int
    status: str = Field(description="draft, active or retired")
    title: str
    created_by: str
    created_at: datetime
    activated_by: str | None
    activated_at: datetime | None


class RuleSetDocumentOut(RuleSetOut):
    """A rule set version with its YAML document."""

    document: str


class EntryOut(BaseModel):
    """A ledger line (积分流水) and its review status."""

    entry_id: str
    deputy_id: str
    township: str
    year: int
    period: str
    occurred_on: date
    rule_id: str
    rule_set_version: int
    category: str
    points: Decimal
    capped_from: Decimal | None = Field(description="What the award was before its cap cut it")
    subject: str = Field(description="The activity or case the points are for")
    source_event_id: str
    source_event_type: str
    compensates: str | None = Field(description="The entry this one reverses")
    status: Status
    version: int = Field(description="Review version, for If-Match")


class EntryChangeOut(BaseModel):
    """An entry a draft adds (now null), drops (draft null) or changes."""

    entry_id: str
    deputy_id: str
    rule_id: str
    points_now: Decimal | None
    points_draft: Decimal | None


class ComparisonOut(BaseModel):
    """A deputy's total and grade now and under the draft."""

    deputy_id: str
    total_now: Decimal
    total_draft: Decimal
    grade_now: str
    grade_draft: str
    changed: bool


class PreviewOut(BaseModel):
    """What activating a draft would change."""

    active_version: int
    draft_version: int
    changes: list[EntryChangeOut]
    deputies: list[ComparisonOut]


class ActivatedOut(RuleSetOut):
    """A rule set just activated, and how many ledger entries it changed."""

    entries_changed: int


class TotalOut(BaseModel):
    """A number on the card and the ledger lines behind it."""

    label: str
    points: Decimal
    entry_ids: list[str]


class MinimumOut(BaseModel):
    """A yearly minimum (三个一) and the lines that count for it."""

    id: str
    label: str
    needed: int
    met: bool
    entry_ids: list[str]


class CardOut(BaseModel):
    """A deputy's score card: every number with the lines behind it."""

    deputy_id: str
    township: str
    year: int
    rule_set_version: int
    base: Decimal
    total: Decimal
    grade: str
    grade_score: Decimal
    grade_reasons: list[str]
    rank_in_township: int | None = Field(
        description="Live for staff and county roles; for the deputy, as last published (亮分)"
    )
    rank_in_county: int | None = Field(description="Live for staff and county roles only")
    ranked_as_of: str | None = Field(
        default=None, description="The published period the deputy's rank is from"
    )
    by_category: list[TotalOut]
    by_month: list[TotalOut]
    by_quarter: list[TotalOut]
    minimums: list[MinimumOut]
    lines: list[EntryOut]
    note: str = Field(
        description="Grades are proposals for people to decide (PIPL Art. 24); voided lines excluded"
    )


class ReviewIn(Body):
    """Why, for a contest or a void (optional for a review)."""

    reason: str | None = Field(default=None, max_length=500)


class ReviewedOut(BaseModel):
    """An entry's review status after an action."""

    entry_id: str
    status: Status
    version: int


class ReviewOut(BaseModel):
    """One step of an entry's review history."""

    action: str
    status: str
    reviewer_id: str
    reason: str | None
    at: datetime


class StandingOut(BaseModel):
    """A line of a leaderboard."""

    deputy_id: str
    township: str
    total: Decimal
    grade: str
    rank: int
    period: str | None = Field(
        default=None, description="The published period shown (deputies); null: live"
    )
    name: str | None = Field(
        default=None,
        description="The deputy's name as on the roster (null until scoring has read it)",
    )


class LineOut(BaseModel):
    """An assessment measure: the value, the points and the evidence."""

    measure_id: str
    label: str
    value: Decimal | None
    points: Decimal
    evidence: list[str]
    note: str


class DimensionOut(BaseModel):
    """An assessment dimension."""

    dimension: str
    points: Decimal
    max_points: Decimal
    lines: list[LineOut]


class AssessmentOut(BaseModel):
    """A township's assessment for a year, ranked in its county."""

    township: str
    county: str
    year: int
    rules_version: int
    total: Decimal
    grade: str
    rank: int
    ranked: int
    solved_rate: Decimal | None
    dimensions: list[DimensionOut]


class PublishIn(Body):
    """A period to publish (亮分) for a township or every township of a county."""

    scope: str = Field(pattern=r"^\d{6}(\d{3})?$", description="County or township code")
    year: int = Field(ge=2000, le=2100)
    period: str = Field(
        min_length=4, max_length=10, description="A period of the rule set's cadence: 2026-Q1"
    )


class PublishedStandingOut(BaseModel):
    """A deputy's line of a published period."""

    deputy_id: str
    total: Decimal = Field(description="The year's total up to the period's last day")
    period_points: Decimal = Field(description="Points of entries in the period")
    grade: str
    rank: int
    by_category: dict[str, Decimal] = Field(
        default_factory=dict, description="The card's totals by category at publication"
    )


class PublicationOut(BaseModel):
    """A township's published period (亮分) with the standings as published."""

    publication_id: str
    township: str
    year: int
    period: str
    period_start: date
    period_end: date
    rule_set_version: int
    standings: list[PublishedStandingOut]
    published_by: str
    published_at: datetime


class ResolveIn(Body):
    """The county's resolution of a deputy's contest, explained to them."""

    outcome: ContestOutcome = Field(
        description="upheld: the entry stops counting; corrected: it stands until the corrected "
        "record replaces it; rejected: it stands"
    )
    explanation: str = Field(min_length=1, max_length=1000)


class ContestOut(BaseModel):
    """A deputy's contest (错重漏) and its resolution, if any."""

    entry_id: str
    deputy_id: str
    township: str
    reason: str
    contested_at: datetime
    outcome: str | None
    explanation: str | None
    resolved_by: str | None
    resolved_at: datetime | None


class AttendedOut(BaseModel):
    """An activity on the deputy's record."""

    on: date
    activity_id: str
    activity_type: str
    state: str
    points: Decimal


class SuggestionOut(BaseModel):
    """A suggestion the deputy led or co-signed, and what became of it."""

    case_id: str
    role: str
    filed_on: date
    reply_class: str | None
    replied_on_time: bool | None
    key_chase: bool
    closed: bool
    solved: bool | None
    feedback: str | None


class ItemOut(BaseModel):
    """Points by ledger item (rule id)."""

    rule_id: str
    lines: int
    points: Decimal


class ProposalOut(BaseModel):
    """A consequence a grade proposes, for a person to decide (PIPL Art. 24)."""

    deputy_id: str
    township: str
    grade: str
    total: Decimal
    proposal: Consequence
    label: str
    decision: Decision | None
    note: str | None
    decided_by: str | None
    decided_at: datetime | None


class MinimumMetOut(BaseModel):
    """A yearly minimum and whether it was met."""

    label: str
    met: bool


class DossierOut(BaseModel):
    """A deputy's annual record (履职档案), what they take to 述职."""

    deputy_id: str
    township: str
    year: int
    rule_set_version: int
    activities: list[AttendedOut]
    reception_days: list[AttendedOut]
    training: list[AttendedOut]
    suggestions: list[SuggestionOut]
    items: list[ItemOut]
    base: Decimal
    total: Decimal
    grade: str
    grade_reasons: list[str]
    minimums: list[MinimumMetOut]
    proposals: list[ProposalOut]
    note: str


class DecisionIn(Body):
    """A person's decision on a proposed consequence of a deputy's grade."""

    year: int = Field(ge=2000, le=2100)
    proposal: Consequence
    decision: Decision
    note: str = Field(min_length=1, max_length=1000, description="Who decided (body) and why")


class DecisionOut(BaseModel):
    """A recorded decision."""

    deputy_id: str
    year: int
    proposal: Consequence
    decision: Decision
    note: str
    decided_by: str
    decided_at: datetime


class AssessmentRulesIn(Body):
    """A township assessment document to store as the next draft of its county and year."""

    county: str = Field(pattern=r"^\d{6}$")
    document: str = Field(
        min_length=1, max_length=200_000, description="YAML (see the JSON Schema)"
    )


class PublishedAssessmentsOut(BaseModel):
    """A county's published assessment of a year, as stored (with per-dimension evidence)."""

    county: str
    year: int
    rules_version: int
    published_by: str
    published_at: datetime
    assessments: list[dict[str, Any]]
