"""The township work assessment rules (镇街人大工作考核细则): one versioned document per county and year.

A dimension is a list of measures; each measure counts one thing the events show (sessions held,
training coverage, manuscripts…) and turns it into points, up to its maximum. The dimensions other
than ``bonus`` share 100 points; ``bonus`` comes on top. Seed: ``scoring/rules/township_assessment.yaml``.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, model_validator

from contracts.common import CountyCode, Year
from contracts.vocabulary import AssessmentDimension, OutletLevel, Placement, TownshipKind
from scoring.domain.rules import Document, Points

Amount = Annotated[Decimal, Field(ge=0, le=10000, decimal_places=2)]


class Metric(StrEnum):
    """What a measure counts, from the events of the township in the year."""

    roster_verified = "roster_verified"
    roster_stale_periods = "roster_stale_periods"
    station_stale_periods = "station_stale_periods"
    congress_sessions = "congress_sessions"
    activities = "activities"
    joint_activities = "joint_activities"
    training_coverage = "training_coverage"
    reception_days = "reception_days"
    opinions_on_time_rate = "opinions_on_time_rate"
    cases_on_time_rate = "cases_on_time_rate"
    solved_rate = "solved_rate"
    assignments_overdue = "assignments_overdue"
    topics_closed_passing = "topics_closed_passing"
    highlights = "highlights"
    manuscripts_submitted = "manuscripts_submitted"
    manuscript_points = "manuscript_points"

    @property
    def is_rate(self) -> bool:
        """Tell whether the metric is a share in [0, 1] (points are then the points at 100%)."""
        return self.value.endswith(("_rate", "_coverage"))


class Measure(Document):
    """One line of a dimension: a metric, points per unit (or at 100% for a rate), a maximum."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    label: str = Field(min_length=1, max_length=200, description="The line as the rubric words it")
    metric: Metric
    points: Points = Field(description="Per unit counted; for a rate, the points at 100%")
    beyond: Amount = Field(default=Decimal(0), description="Count only the part above this")
    max: Amount | None = Field(default=None, description="Most points (in size) of this line")
    applies_to: frozenset[TownshipKind] = Field(
        default=frozenset(TownshipKind), description="A kind left out gets the line's max in full"
    )
    source: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _not_applicable_needs_max(self) -> Self:
        if self.applies_to != frozenset(TownshipKind) and self.max is None:
            raise ValueError("a line that does not apply to every kind needs a max (its credit)")
        return self


class Dimension(Document):
    """A dimension of the assessment: its share of the 100 points and its lines."""

    label: str = Field(min_length=1, max_length=200)
    max: Amount = Field(description="Points of the dimension (the bonus: the most bonus)")
    measures: tuple[Measure, ...] = Field(min_length=1)


class Publicity(Document):
    """Points per published manuscript by outlet level and placement; a piece counts once, at its best."""

    points: dict[OutletLevel, dict[Placement, Points]]
    source: str = Field(default="", max_length=500)


class Thresholds(Document):
    """优秀 ≥ excellent, 合格 ≥ qualified, else 通报."""

    excellent: Amount
    qualified: Amount

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.excellent <= self.qualified:
            raise ValueError("excellent must be above qualified")
        return self


class AssessmentRules(Document):
    """One county's township assessment rules for one year, at one version."""

    county: CountyCode
    year: Year
    version: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=200)
    dimensions: dict[AssessmentDimension, Dimension]
    publicity: Publicity
    thresholds: Thresholds
