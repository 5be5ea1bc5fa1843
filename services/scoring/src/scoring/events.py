"""Domain results → the payloads of the ``scoring.*`` contract events (the envelope is the wiring's)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from contracts import scoring as ev
from contracts.vocabulary import DeputyGrade, PointsCategory
from scoring.domain.assessment import TownshipAssessment
from scoring.domain.clauses import points_category
from scoring.domain.entries import Entry
from scoring.domain.scorecard import ScoreCard
from scoring.domain.totals import DeputyTotals


def points_recorded(entry: Entry) -> ev.PointsRecorded:
    """Return the event of one ledger entry."""
    return ev.PointsRecorded(
        entry_id=entry.entry_id,
        deputy_id=entry.deputy_id,
        township=entry.township,
        year=entry.year,
        category=points_category(entry.rule_id),
        points=float(entry.points),
        rule_id=entry.rule_id,
        rule_set_version=entry.rule_set_version,
        source_event_id=entry.source_event_id,
        source_event_type=entry.source_event_type,
        occurred_on=entry.occurred_on,
        compensates=entry.compensates,
    )


def points_recorded_fields(entry: Entry) -> dict[str, Any]:
    """Return the payload of ``points_recorded(entry)`` as plain fields in declaration order, for
    ``Outbox.row_of`` (the consumer's hot path: no model built; a test compares the rows)."""
    return {
        "entry_id": entry.entry_id,
        "deputy_id": entry.deputy_id,
        "township": entry.township,
        "year": entry.year,
        "category": points_category(entry.rule_id),
        "points": float(entry.points),
        "rule_id": entry.rule_id,
        "rule_set_version": entry.rule_set_version,
        "source_event_id": entry.source_event_id,
        "source_event_type": entry.source_event_type,
        "occurred_on": entry.occurred_on,
        "compensates": entry.compensates,
    }


def score_changed_fields(
    after: DeputyTotals, *, year: int, version: int, previous_total: Decimal
) -> dict[str, Any]:
    """Return the payload of a deputy's ``scoring.score.changed`` as plain fields (as above)."""
    return {
        "deputy_id": after.deputy_id,
        "township": after.township,
        "year": year,
        "total": float(after.total),
        "confirmed_total": float(after.confirmed_total),
        "previous_total": float(previous_total),
        "by_category": tuple(
            {"category": c, "points": float(after.by_category[c.value])}
            for c in PointsCategory
            if c.value in after.by_category
        ),
        "rule_set_version": version,
    }


def grade_changed_fields(
    after: DeputyTotals, *, year: int, previous: DeputyGrade | None
) -> dict[str, Any]:
    """Return the payload of a deputy's ``scoring.grade.changed`` as plain fields (as above)."""
    return {
        "deputy_id": after.deputy_id,
        "township": after.township,
        "year": year,
        "grade": after.grade,
        "previous_grade": previous,
        "total": float(after.total),
    }


def _by_category(card: ScoreCard) -> tuple[ev.CategoryTotal, ...]:
    totals: dict[PointsCategory, Decimal] = defaultdict(Decimal)
    totals[PointsCategory.base] = card.base
    for e in card.lines:
        totals[points_category(e.rule_id)] += e.points
    return tuple(
        ev.CategoryTotal(category=c, points=float(totals[c])) for c in PointsCategory if c in totals
    )


def score_changed(
    card: ScoreCard, *, township: str, previous_total: Decimal, confirmed_total: Decimal
) -> ev.ScoreChanged:
    """Return the event of a deputy's new yearly total (``confirmed_total``: entries past 复核)."""
    return ev.ScoreChanged(
        deputy_id=card.deputy_id,
        township=township,
        year=card.year,
        total=float(card.total),
        confirmed_total=float(confirmed_total),
        previous_total=float(previous_total),
        by_category=_by_category(card),
        rule_set_version=card.rule_set_version,
    )


def grade_changed(
    card: ScoreCard, *, township: str, previous: DeputyGrade | None
) -> ev.GradeChanged | None:
    """Return the event of a grade that moved, or None when it did not."""
    if previous is card.grade:
        return None
    return ev.GradeChanged(
        deputy_id=card.deputy_id,
        township=township,
        year=card.year,
        grade=card.grade,
        previous_grade=previous,
        total=float(card.total),
    )


def assessment_published(
    assessment: TownshipAssessment, assessment_id: str
) -> ev.AssessmentPublished:
    """Return the event of a township's published assessment."""
    return ev.AssessmentPublished(
        assessment_id=assessment_id,
        township=assessment.township,
        county=assessment.county,
        year=assessment.year,
        total=float(assessment.total),
        dimensions=tuple(
            ev.DimensionScore(
                dimension=d.dimension,
                points=float(d.points),
                max_points=float(d.max_points),
                evidence=tuple(sorted({x for line in d.lines for x in line.evidence})),
            )
            for d in assessment.dimensions
        ),
        grade=assessment.grade,
        rank=assessment.rank,
        ranked=assessment.ranked,
        solved_rate=float(assessment.solved_rate) if assessment.solved_rate is not None else None,
    )
