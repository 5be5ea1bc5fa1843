"""The township work assessment (镇街人大工作考核): points by dimension, grade, rank in the county."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from contracts.vocabulary import AssessmentDimension, AssessmentGrade
from scoring.domain.assessment_rules import AssessmentRules, Dimension, Measure, Metric
from scoring.domain.books import books_of
from scoring.domain.facts import Fact
from scoring.domain.metrics import READERS, Year, trained
from scoring.domain.scorecard import rank


@dataclass(frozen=True)
class LineScore:
    """One measure: the value read, the points it gives, and the evidence (ids) behind it."""

    measure_id: str
    label: str
    metric: Metric
    value: Decimal | None
    points: Decimal
    evidence: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class DimensionScore:
    """A dimension's points (within 0 and its max) and its lines."""

    dimension: AssessmentDimension
    points: Decimal
    max_points: Decimal
    lines: tuple[LineScore, ...]


@dataclass(frozen=True)
class TownshipAssessment:
    """One township's assessment for a year under one version of the rules."""

    township: str
    county: str
    year: int
    rules_version: int
    dimensions: tuple[DimensionScore, ...]
    total: Decimal
    grade: AssessmentGrade
    rank: int
    ranked: int
    solved_rate: Decimal | None


def _clamp(points: Decimal, size: Decimal | None) -> Decimal:
    if size is None:
        return points
    return max(-size, min(size, points))


def score_line(measure: Measure, year: Year) -> LineScore:
    """Return the points of one measure for a township's year."""
    if year.book.kind not in measure.applies_to:
        full = measure.max or Decimal(0)
        note = f"not applicable to a {year.book.kind.value}: full credit"
        return LineScore(measure.id, measure.label, measure.metric, None, full, (), note)
    reading = READERS[measure.metric](year)
    if reading.value is None:
        note = "nothing to measure: 0"
        return LineScore(measure.id, measure.label, measure.metric, None, Decimal(0), (), note)
    units = max(Decimal(0), reading.value - measure.beyond)
    points = _clamp(measure.points * units, measure.max)
    note = f"{units} × {measure.points}" + (f" (at most {measure.max})" if measure.max else "")
    return LineScore(
        measure.id, measure.label, measure.metric, reading.value, points, reading.evidence, note
    )


def score_dimension(name: AssessmentDimension, dimension: Dimension, year: Year) -> DimensionScore:
    """Return a dimension's points: its lines summed, kept within 0 and its max."""
    lines = tuple(score_line(m, year) for m in dimension.measures)
    points = max(Decimal(0), min(dimension.max, sum((x.points for x in lines), Decimal(0))))
    return DimensionScore(name, points, dimension.max, lines)


def grade_of(total: Decimal, rules: AssessmentRules) -> AssessmentGrade:
    """Return 优秀, 合格 or 通报 for a total."""
    if total >= rules.thresholds.excellent:
        return AssessmentGrade.excellent
    if total >= rules.thresholds.qualified:
        return AssessmentGrade.qualified
    return AssessmentGrade.criticised


def assess(
    facts: Iterable[Fact], rules: AssessmentRules, *, as_of: date
) -> list[TownshipAssessment]:
    """Return the assessment of every township of the county seen in the facts, best first.

    ``as_of`` is the day assessed on: an overdue notice whose deadline a holiday arrangement
    moved to that day or later does not count (yet).
    """
    books = books_of(facts)
    trained_ids = frozenset(trained(books, rules.year))
    scored = []
    for code, book in sorted(books.townships.items()):
        if not code.startswith(rules.county) or len(code) != 9:
            continue
        year = Year(book, rules.year, trained_ids, rules.publicity, as_of)
        dims = tuple(score_dimension(n, d, year) for n, d in rules.dimensions.items())
        scored.append((book, dims, sum((d.points for d in dims), Decimal(0)), year))
    ranks = rank({book.township: total for book, _, total, _ in scored})
    result = []
    for book, dims, total, year in scored:
        solved = READERS[Metric.solved_rate](year)
        result.append(
            TownshipAssessment(
                township=book.township,
                county=book.county,
                year=rules.year,
                rules_version=rules.version,
                dimensions=dims,
                total=total,
                grade=grade_of(total, rules),
                rank=ranks[book.township],
                ranked=len(scored),
                solved_rate=solved.value,
            )
        )
    return sorted(result, key=lambda a: (a.rank, a.township))
