"""The deputy's score card: totals by category and period, the grade, and the lines behind each number."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from contracts.vocabulary import DeputyGrade
from scoring.domain.clauses import Category
from scoring.domain.entries import Entry, live
from scoring.domain.periods import month_of, quarter_of
from scoring.domain.rules import RuleSet

_ORDER = (DeputyGrade.not_competent, DeputyGrade.competent, DeputyGrade.excellent)


@dataclass(frozen=True)
class Total:
    """A number on the card and the ledger lines that make it."""

    label: str
    points: Decimal
    lines: tuple[Entry, ...]


@dataclass(frozen=True)
class MinimumCheck:
    """One yearly minimum: how many are needed, the live entries that count, met or not."""

    id: str
    label: str
    needed: int
    lines: tuple[Entry, ...]

    @property
    def met(self) -> bool:
        """Tell whether enough was done."""
        return len(self.lines) >= self.needed


@dataclass(frozen=True)
class ScoreCard:
    """One deputy's year under one rule set: every number explained by its lines."""

    deputy_id: str
    year: int
    rule_set_version: int
    base: Decimal
    total: Decimal
    by_category: tuple[Total, ...]
    by_month: tuple[Total, ...]
    by_quarter: tuple[Total, ...]
    minimums: tuple[MinimumCheck, ...]
    grade_score: Decimal
    grade: DeputyGrade
    grade_reasons: tuple[str, ...]
    lines: tuple[Entry, ...]


def _totals(
    entries: list[Entry], labels: Iterable[str], label_of: Callable[[Entry], str]
) -> tuple[Total, ...]:
    groups: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        groups[label_of(e)].append(e)
    return tuple(
        Total(label, sum((e.points for e in groups[label]), Decimal(0)), tuple(groups[label]))
        for label in labels
    )


def grade_of(score: Decimal, rules: RuleSet) -> DeputyGrade:
    """Return the grade a score reaches under the thresholds (minimums aside)."""
    if score >= rules.grading.excellent:
        return DeputyGrade.excellent
    if score >= rules.grading.competent:
        return DeputyGrade.competent
    return DeputyGrade.not_competent


def score_card(
    deputy_id: str, entries: Iterable[Entry], rules: RuleSet, *, best_total: Decimal | None = None
) -> ScoreCard:
    """Return a deputy's card for the rule set's year; ``best_total`` when grading normalised."""
    mine = [e for e in entries if e.deputy_id == deputy_id and e.year == rules.year]
    total = rules.base_points + sum((e.points for e in mine), Decimal(0))
    alive = live(mine)
    checks = tuple(
        MinimumCheck(m.id, m.label, m.count, tuple(e for e in alive if e.rule_id in m.rules))
        for m in rules.minimums
    )
    score = total
    if rules.grading.normalise_to_100:
        best = best_total if best_total is not None else total
        score = (Decimal(100) * total / best).quantize(Decimal("0.01")) if best > 0 else Decimal(0)
    grade = grade_of(score, rules)
    reasons = [f"score {score}: {grade.value}"]
    missed = [c for c in checks if not c.met]
    worst = rules.grading.minimum_missing_grade
    if missed and _ORDER.index(worst) < _ORDER.index(grade):
        grade = worst
    reasons += [f"minimum {c.id} not met ({len(c.lines)}/{c.needed}): {c.label}" for c in missed]
    base = Total(Category.base.value, rules.base_points, ())
    categories = [c.value for c in Category if c is not Category.base]
    return ScoreCard(
        deputy_id=deputy_id,
        year=rules.year,
        rule_set_version=rules.version,
        base=rules.base_points,
        total=total,
        by_category=(base, *_totals(mine, categories, lambda e: e.category.value)),
        by_month=_totals(
            mine, (f"{rules.year}-{m:02d}" for m in range(1, 13)), lambda e: month_of(e.occurred_on)
        ),
        by_quarter=_totals(
            mine, (f"{rules.year}-Q{q}" for q in range(1, 5)), lambda e: quarter_of(e.occurred_on)
        ),
        minimums=checks,
        grade_score=score,
        grade=grade,
        grade_reasons=tuple(reasons),
        lines=tuple(mine),
    )


def score_cards(
    entries: Iterable[Entry], rules: RuleSet, deputy_ids: Iterable[str] = ()
) -> dict[str, ScoreCard]:
    """Return the cards of every deputy in the entries (and ``deputy_ids``), graded together."""
    mine: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        if e.year == rules.year:
            mine[e.deputy_id].append(e)
    ids = sorted(set(mine) | set(deputy_ids))
    totals = {d: rules.base_points + sum((e.points for e in mine[d]), Decimal(0)) for d in ids}
    best = max(totals.values(), default=Decimal(0))
    return {d: score_card(d, mine[d], rules, best_total=best) for d in ids}


def rank(totals: Mapping[str, Decimal]) -> dict[str, int]:
    """Return competition ranks (1, 2, 2, 4) by total, highest first."""
    ordered = sorted(totals.values(), reverse=True)
    return {key: ordered.index(value) + 1 for key, value in totals.items()}
