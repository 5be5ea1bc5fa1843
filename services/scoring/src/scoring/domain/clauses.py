"""The clauses of a rule set: every rule id a ledger entry can name, its category, cap and words."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from contracts.vocabulary import ActivityType, PointsCategory
from scoring.domain.rules import ActivityRule, Award, RuleSet, Signers

BASE = "base"
SUGGESTION_LEAD = "suggestion.lead"
SUGGESTION_CO = "suggestion.co_signer"
REPLY_A_LEAD = "quality.reply_class_a.lead"
REPLY_A_CO = "quality.reply_class_a.co_signer"
KEY_CHASE_LEAD = "quality.key_chase.lead"
KEY_CHASE_CO = "quality.key_chase.co_signer"
SATISFIED = "quality.satisfied_feedback"
STATES = ("present", "partial", "excused", "unexcused_absence")


class Category(StrEnum):
    """The headings of a score card; every clause falls under one."""

    base = "base"
    session = "session"
    activity = "activity"
    training = "training"
    reception = "reception"
    report = "report"
    suggestion = "suggestion"
    quality = "quality"
    deduction = "deduction"


_BY_TYPE = {
    ActivityType.congress_session: Category.session,
    ActivityType.training: Category.training,
    ActivityType.reception_day: Category.reception,
    ActivityType.report_to_voters: Category.report,
}


@dataclass(frozen=True)
class Clause:
    """One rule of one version: what an entry that names it is for."""

    id: str
    category: Category
    cap_per_year: Decimal | None
    text: str
    source: str


def activity_rule_id(activity_type: ActivityType, state: str) -> str:
    """Return the rule id for an attendance state at an activity type."""
    return f"activity.{activity_type.value}.{state}"


def _award_text(award: Award) -> str:
    unit = "每半天" if award.per == "half_day" else "每次"
    return f"县级(含联动) {award.county} 分、镇级 {award.township} 分，{unit}"


def _activity_clauses(activity_type: ActivityType, rule: ActivityRule) -> list[Clause]:
    found = []
    for state in STATES:
        award: Award | None = getattr(rule, state)
        if award is None:
            continue
        present = state in ("present", "partial")
        category = _BY_TYPE.get(activity_type, Category.activity) if present else Category.deduction
        text = f"{activity_type.value} {state}: {_award_text(award)}"
        rule_id = activity_rule_id(activity_type, state)
        found.append(Clause(rule_id, category, award.cap_per_year, text, award.source))
    return found


def _signer_clauses(lead: str, co: str, signers: Signers, category: Category) -> list[Clause]:
    return [
        Clause(lead, category, signers.cap_per_year, f"领衔 {signers.lead} 分", signers.source),
        Clause(co, category, signers.cap_per_year, f"附议 {signers.co_signer} 分", signers.source),
    ]


def clauses(rules: RuleSet) -> dict[str, Clause]:
    """Return every clause of a rule set by rule id."""
    found = [Clause(BASE, Category.base, None, f"基础分 {rules.base_points}", "")]
    for activity_type, rule in rules.activities.items():
        found += _activity_clauses(activity_type, rule)
    found += _signer_clauses(SUGGESTION_LEAD, SUGGESTION_CO, rules.suggestion, Category.suggestion)
    quality = rules.quality
    found += _signer_clauses(REPLY_A_LEAD, REPLY_A_CO, quality.reply_class_a, Category.quality)
    found += _signer_clauses(KEY_CHASE_LEAD, KEY_CHASE_CO, quality.key_chase, Category.quality)
    found.append(
        Clause(
            SATISFIED,
            Category.quality,
            None,
            f"满意反馈 {quality.satisfied_feedback} 分",
            quality.satisfied_feedback_source,
        )
    )
    return {clause.id: clause for clause in found}


_CATEGORIES: dict[str, PointsCategory] = {}


def points_category(rule_id: str) -> PointsCategory:
    """Return the contract's category (``scoring.points.recorded``) for an entry of a rule."""
    found = _CATEGORIES.get(rule_id)
    if found is None:
        found = _category_of(rule_id)
        if len(_CATEGORIES) < 4096:  # rule ids are a rule set's few dozen
            _CATEGORIES[rule_id] = found
    return found


def _category_of(rule_id: str) -> PointsCategory:
    if rule_id == BASE:
        return PointsCategory.base
    if rule_id.startswith("suggestion."):
        return PointsCategory.suggestion
    if rule_id.startswith("quality.key_chase."):
        return PointsCategory.key_chase
    if rule_id.startswith("quality."):
        return PointsCategory.reply
    if rule_id.endswith(".unexcused_absence"):
        return PointsCategory.unexcused_absence
    if rule_id.startswith("activity.congress_session.") or rule_id.endswith(".excused"):
        return PointsCategory.attendance
    if rule_id.startswith("activity."):
        return PointsCategory.activity
    return PointsCategory.other
