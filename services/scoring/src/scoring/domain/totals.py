"""A deputy's running totals of one ledger: total, confirmed total, categories, minimums, grade.

The projection the consumer keeps beside the ledger: advanced by each batch's new entries
(``advance``) or computed afresh from the lines a card shows (``tally``); both grade like the
score card (thresholds, then a missed minimum), so the projection equals the card's numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from contracts.vocabulary import DeputyGrade, PointsCategory
from scoring.domain.clauses import points_category
from scoring.domain.entries import Entry, live
from scoring.domain.rules import RuleSet
from scoring.domain.scorecard import grade_of

_ORDER = (DeputyGrade.not_competent, DeputyGrade.competent, DeputyGrade.excellent)


@dataclass(frozen=True)
class DeputyTotals:
    """One deputy's numbers in one ledger (county, year, rule set version)."""

    deputy_id: str
    township: str
    total: Decimal
    confirmed_total: Decimal
    by_category: Mapping[str, Decimal]
    minimums: Mapping[str, int]
    grade: DeputyGrade


def grade_for(
    total: Decimal, minimums: Mapping[str, int], rules: RuleSet, best: Decimal | None = None
) -> DeputyGrade:
    """Return the card's grade: the thresholds on the (normalised) score, then missed minimums."""
    score = total
    if rules.grading.normalise_to_100:
        top = best if best is not None else total
        score = (Decimal(100) * total / top).quantize(Decimal("0.01")) if top > 0 else Decimal(0)
    grade = grade_of(score, rules)
    worst = rules.grading.minimum_missing_grade
    missed = any(minimums.get(m.id, 0) < m.count for m in rules.minimums)
    if missed and _ORDER.index(worst) < _ORDER.index(grade):
        return worst
    return grade


_MINIMUMS: dict[int, tuple[RuleSet, dict[str, tuple[str, ...]]]] = {}


def _minimums_of(rules: RuleSet) -> dict[str, tuple[str, ...]]:
    """Return the memo of the minimums each rule counts for (per rule set object)."""
    found = _MINIMUMS.get(id(rules))
    if found is None or found[0] is not rules:
        if len(_MINIMUMS) >= 64:
            _MINIMUMS.clear()
        found = _MINIMUMS[id(rules)] = (rules, {})
    return found[1]


def _minimum_ids(
    rule_id: str, rules: RuleSet, memo: dict[str, tuple[str, ...]] | None = None
) -> tuple[str, ...]:
    """Return the minimums a rule counts for (per rule set object, worked out once)."""
    known = _minimums_of(rules) if memo is None else memo
    ids = known.get(rule_id)
    if ids is None:
        ids = known[rule_id] = tuple(m.id for m in rules.minimums if rule_id in m.rules)
    return ids


_CATEGORY_KEYS: dict[str, str] = {}
"""The category (its text) of each rule id seen (a rule set's few dozen)."""


def _category_key(rule_id: str) -> str:
    """Return the text of a rule's points category (``by_category``'s key)."""
    found = _CATEGORY_KEYS.get(rule_id)
    if found is None:
        found = points_category(rule_id).value
        if len(_CATEGORY_KEYS) < 4096:
            _CATEGORY_KEYS[rule_id] = found
    return found


def tally(
    deputy_id: str,
    township: str,
    lines: Iterable[Entry],
    confirmed: Iterable[str],
    rules: RuleSet,
    best: Decimal | None = None,
) -> DeputyTotals:
    """Return a deputy's totals from the lines its card shows (voided ones left out)."""
    mine = [e for e in lines if e.deputy_id == deputy_id]
    ok = set(confirmed)
    categories: dict[str, Decimal] = {PointsCategory.base.value: rules.base_points}
    for e in mine:
        key = points_category(e.rule_id).value
        categories[key] = categories.get(key, Decimal(0)) + e.points
    counts: dict[str, int] = {m.id: 0 for m in rules.minimums}
    for e in live(mine):
        for m in _minimum_ids(e.rule_id, rules):
            counts[m] += 1
    total = rules.base_points + sum((e.points for e in mine), Decimal(0))
    sure = rules.base_points + sum((e.points for e in mine if e.entry_id in ok), Decimal(0))
    return DeputyTotals(
        deputy_id,
        township,
        total,
        sure,
        categories,
        counts,
        grade_for(total, counts, rules, best),
    )


def fresh(deputy_id: str, township: str, rules: RuleSet) -> DeputyTotals:
    """Return the totals of a deputy without lines: the base points."""
    return tally(deputy_id, township, (), (), rules)


def advance(
    before: DeputyTotals,
    new: Iterable[Entry],
    reversed_rules: Mapping[str, str],
    rules: RuleSet,
    best: Decimal | None = None,
) -> DeputyTotals:
    """Return the totals after new (provisional) entries of the deputy.

    ``reversed_rules`` maps each entry a new one compensates to its rule when that entry counts on
    the card (not voided): its reversal takes one off the minimums it counted for.
    """
    categories = dict(before.by_category)
    counts = dict(before.minimums)
    total = before.total
    township = before.township
    keys, memo, zero = _CATEGORY_KEYS, _minimums_of(rules), Decimal(0)
    for e in new:
        rule_id = e.rule_id
        key = keys.get(rule_id) or _category_key(rule_id)
        categories[key] = categories.get(key, zero) + e.points
        total += e.points
        township = e.township
        if e.compensates is None:
            for m in memo.get(rule_id) or _minimum_ids(rule_id, rules, memo):
                counts[m] = counts.get(m, 0) + 1
        elif e.compensates in reversed_rules:
            for m in _minimum_ids(reversed_rules[e.compensates], rules, memo):
                counts[m] = counts.get(m, 0) - 1
    return DeputyTotals(
        before.deputy_id,
        township,
        total,
        before.confirmed_total,
        categories,
        counts,
        grade_for(total, counts, rules, best),
    )
