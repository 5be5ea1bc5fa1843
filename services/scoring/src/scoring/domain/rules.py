"""The deputies' points rule set (积分规则): one versioned document per county and year.

Every number is configuration: the seed in ``scoring/rules/deputy_points.yaml`` names the real rule
each value comes from. Rule ids (``activity.inspection.present``, ``suggestion.lead``, …) are derived
from the document's shape, so a ledger entry always points at one clause of one version.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.common import CountyCode, Year
from contracts.vocabulary import ActivityType, DeputyGrade, Level

Points = Annotated[
    Decimal,
    Field(ge=-1000, le=1000, decimal_places=2, description="Points; negative for a deduction"),
]
Cap = Annotated[
    Decimal,
    Field(
        gt=0, le=10000, decimal_places=2, description="Most points (in size) a year of this rule"
    ),
]


class Document(BaseModel):
    """Base of the rule documents: frozen, and an unknown key is an error (a typo must not pass)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Per(StrEnum):
    """What the points are counted per: the activity, or each half-day it lasted."""

    activity = "activity"
    half_day = "half_day"


class Cadence(StrEnum):
    """How often entries are reviewed or scores published (亮分)."""

    monthly = "monthly"
    quarterly = "quarterly"
    half_yearly = "half_yearly"
    yearly = "yearly"


class Award(Document):
    """Points for one attendance state at one activity type, by the organising level."""

    county: Points = Field(description="When the county organises it (a joint activity included)")
    township: Points = Field(description="When only the township organises it")
    per: Per = Per.activity
    cap_per_year: Cap | None = Field(default=None, description="None: no cap (上不封顶)")
    source: str = Field(default="", max_length=500, description="Where the value comes from")

    def points_for(self, levels: frozenset[Level]) -> Decimal:
        """Return the points for an activity organised at ``levels`` (county wins for joint ones)."""
        return self.county if Level.county in levels else self.township


class ActivityRule(Document):
    """Points of one activity type for each attendance state; a missing state earns nothing."""

    present: Award | None = None
    partial: Award | None = Field(
        default=None,
        description="Attended part of it (e.g. training 部分参加); fires once events carry it",
    )
    excused: Award | None = Field(default=None, description="请假")
    unexcused_absence: Award | None = Field(default=None, description="无故缺席")


class Signers(Document):
    """Points for the first signatory (领衔) and each joint signatory (附议) of a suggestion."""

    lead: Points
    co_signer: Points
    cap_per_year: Cap | None = Field(default=None, description="Per deputy and rule; None: no cap")
    source: str = Field(default="", max_length=500)


class Quality(Document):
    """Quality markers (§3.2): at most one live entry per case, marker and deputy.

    With ``reopen_reverses`` a reopened case (重新办理) loses its class-A reply and 满意 markers
    (compensating entries); the new round's reply and rating earn them again.
    """

    reply_class_a: Signers = Field(description="The reply was class A (solved)")
    key_chase: Signers = Field(description="The suggestion was designated 重点督办")
    satisfied_feedback: Points = Field(description="The deputy rated the result 满意")
    satisfied_feedback_source: str = Field(default="", max_length=500)
    reopen_reverses: bool = Field(
        default=True,
        description="A reopened case's class-A reply and 满意 points are reversed until earned again",
    )
    reopen_source: str = Field(default="", max_length=500)


class Minimum(Document):
    """A yearly minimum of the 三个一 kind: fewer live entries of these rules forces a grade."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="Short name of the minimum")
    label: str = Field(min_length=1, max_length=200, description="What must be done, in words")
    rules: tuple[str, ...] = Field(min_length=1, description="Rule ids whose entries count")
    count: int = Field(default=1, ge=1, le=100, description="How many are needed in the year")


class Grading(Document):
    """Grade thresholds (优秀 ≥ excellent, 称职 ≥ competent, else 不称职) and their basis."""

    excellent: Decimal = Field(ge=0, le=10000, description="Lowest score graded 优秀")
    competent: Decimal = Field(ge=0, le=10000, description="Lowest score graded 称职")
    normalise_to_100: bool = Field(
        default=False, description="Grade on 100 × total / best total in the county (top = 100)"
    )
    minimum_missing_grade: DeputyGrade = Field(
        default=DeputyGrade.not_competent, description="Best grade left when a minimum is missed"
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.excellent <= self.competent:
            raise ValueError("excellent must be above competent")
        return self


class ContestFrom(StrEnum):
    """When a deputy's contest window (错重漏) opens: at recording, or at the period's 亮分."""

    recorded = "recorded"
    publication = "publication"


class CadenceRules(Document):
    """Review (初审/复核) and publication (亮分) cadence; the grade is always yearly."""

    review: Cadence = Cadence.monthly
    publication: Cadence = Cadence.quarterly
    contest_days: int | None = Field(
        default=None,
        ge=1,
        le=366,
        description="Days a deputy may contest an entry (错重漏); none: the service's setting",
    )
    contest_from: ContestFrom = Field(
        default=ContestFrom.recorded,
        description="The window counts from the entry's recording, or from the publication "
        "(亮分) of its period (open until then)",
    )


class RuleSet(Document):
    """One county's deputy points rules for one year, at one version."""

    county: CountyCode
    year: Year
    version: int = Field(ge=1, description="Version of this county's rules for the year")
    title: str = Field(min_length=1, max_length=200)
    base_points: Points = Field(description="Points every deputy starts the year with (基础分)")
    half_day_hours: Decimal = Field(
        default=Decimal(4), gt=0, le=24, description="Hours in a half-day, for per-half-day points"
    )
    activities: dict[ActivityType, ActivityRule] = Field(
        description="By activity type; a type left out earns nothing"
    )
    suggestion: Signers = Field(description="Filing a suggestion (代表建议)")
    quality: Quality
    minimums: tuple[Minimum, ...] = ()
    grading: Grading
    cadence: CadenceRules = CadenceRules()
