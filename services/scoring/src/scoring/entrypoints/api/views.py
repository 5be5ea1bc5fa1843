"""Domain results → response bodies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from scoring.adapters.store import RuleSetRow, entry_of
from scoring.domain.assessment import TownshipAssessment
from scoring.domain.entries import Entry
from scoring.domain.reviews import Status
from scoring.domain.scorecard import Total
from scoring.entrypoints.api.schemas import (
    AssessmentOut,
    CardOut,
    DimensionOut,
    EntryOut,
    LineOut,
    MinimumOut,
    RuleSetOut,
    TotalOut,
)
from scoring.handlers.points import CardView

NOTE = (
    "Grades and ranks are proposals for the standing committee to decide on (PIPL Art. 24); "
    "voided lines do not count."
)


def rule_set(row: RuleSetRow) -> dict[str, Any]:
    """Return a rule set row as a body (the document left out)."""
    return RuleSetOut.model_validate(row.__dict__, from_attributes=False).model_dump()


def entry(e: Entry, status: str, version: int) -> EntryOut:
    """Return a ledger line with its review status."""
    return EntryOut(
        entry_id=e.entry_id,
        deputy_id=e.deputy_id,
        township=e.township,
        year=e.year,
        period=e.period,
        occurred_on=e.occurred_on,
        rule_id=e.rule_id,
        rule_set_version=e.rule_set_version,
        category=e.category.value,
        points=e.points,
        capped_from=e.capped_from,
        subject=e.subject,
        source_event_id=str(e.source_event_id),
        source_event_type=e.source_event_type,
        compensates=e.compensates,
        status=Status(status),
        version=version,
    )


def entry_row(row: Row[Any]) -> EntryOut:
    """Return a stored entry row (with status columns) as a body."""
    return entry(entry_of(row), row.status, row.status_version)


def _total(t: Total) -> TotalOut:
    return TotalOut(label=t.label, points=t.points, entry_ids=[e.entry_id for e in t.lines])


def card(view: CardView) -> CardOut:
    """Return a score card with every number's lines."""
    c = view.card
    return CardOut(
        deputy_id=c.deputy_id,
        township=view.township,
        year=c.year,
        rule_set_version=c.rule_set_version,
        base=c.base,
        total=c.total,
        grade=c.grade.value,
        grade_score=c.grade_score,
        grade_reasons=list(c.grade_reasons),
        rank_in_township=view.rank_in_township,
        rank_in_county=view.rank_in_county,
        ranked_as_of=view.ranked_as_of,
        by_category=[_total(t) for t in c.by_category],
        by_month=[_total(t) for t in c.by_month],
        by_quarter=[_total(t) for t in c.by_quarter],
        minimums=[
            MinimumOut(
                id=m.id,
                label=m.label,
                needed=m.needed,
                met=m.met,
                entry_ids=[e.entry_id for e in m.lines],
            )
            for m in c.minimums
        ],
        lines=[entry(e, *view.statuses[e.entry_id]) for e in c.lines],
        note=NOTE,
    )


def assessment(a: TownshipAssessment) -> AssessmentOut:
    """Return a township's assessment with the evidence of every line."""
    return AssessmentOut(
        township=a.township,
        county=a.county,
        year=a.year,
        rules_version=a.rules_version,
        total=a.total,
        grade=a.grade.value,
        rank=a.rank,
        ranked=a.ranked,
        solved_rate=a.solved_rate,
        dimensions=[
            DimensionOut(
                dimension=d.dimension.value,
                points=d.points,
                max_points=d.max_points,
                lines=[
                    LineOut(
                        measure_id=x.measure_id,
                        label=x.label,
                        value=x.value,
                        points=x.points,
                        evidence=list(x.evidence),
                        note=x.note,
                    )
                    for x in d.lines
                ],
            )
            for d in a.dimensions
        ],
    )
