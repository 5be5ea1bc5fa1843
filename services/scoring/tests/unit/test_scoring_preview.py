"""Preview: a draft re-derives the same facts; the diff names the changed entries, totals and grades."""

from __future__ import annotations

from decimal import Decimal

import pytest
from scoring_harness import YEAR, P, activity, rules, suggestion

from contracts.vocabulary import ActivityType as T, DeputyGrade
from scoring.domain.documents import default_rule_set, rule_set_from
from scoring.domain.facts import Fact
from scoring.domain.preview import preview

D = Decimal
ACTIVE = rules()


def facts() -> list[Fact]:
    return [
        suggestion("c1", "d1", "d2"),
        suggestion("c2", "d1"),
        activity("s", T.congress_session, {"d1": P.present, "d2": P.present}, hours="8"),
        activity("i", T.inspection, {"d1": P.present, "d2": P.present}),
        activity("w", T.training, {"d1": P.present}),
    ]


def test_previewing_the_active_rules_is_an_empty_diff() -> None:
    same = preview(facts(), ACTIVE, ACTIVE)
    assert same.empty
    assert [d.deputy_id for d in same.deputies] == ["d1", "d2"]


def test_a_copy_of_the_active_rules_as_a_new_version_is_an_empty_diff() -> None:
    copy = default_rule_set(ACTIVE.county, ACTIVE.year, version=2)
    assert preview(facts(), ACTIVE, copy).empty


def test_a_draft_names_every_changed_entry_and_the_totals_and_grades_now_and_then() -> None:
    data = ACTIVE.model_dump(mode="json")
    data["version"] = 2
    data["suggestion"]["lead"] = 8  # 3 → 8: d1 leads two suggestions
    data["activities"]["training"]["present"] = None  # training no longer scored
    result = preview(facts(), ACTIVE, rule_set_from(data))
    changed = {(c.now or c.draft).rule_id: c for c in result.changes}  # type: ignore[union-attr]
    assert set(changed) == {"suggestion.lead", "activity.training.present"}
    training = changed["activity.training.present"]
    assert training.now is not None
    assert training.draft is None
    assert sum(1 for c in result.changes if c.now and c.draft) == 2  # both lead entries 3 → 8
    d1 = next(d for d in result.deputies if d.deputy_id == "d1")
    # now 60 + 3 + 3 + 10 + 3 + 10 = 89; draft 60 + 8 + 8 + 10 + 3 = 89: same total, other lines
    assert (d1.total_now, d1.total_draft) == (D(89), D(89))
    assert (d1.grade_now, d1.grade_draft) == (DeputyGrade.excellent, DeputyGrade.excellent)
    d2 = next(d for d in result.deputies if d.deputy_id == "d2")
    assert not d2.changed  # 60 + 0.6 + 10 + 3 either way
    assert not result.empty


def test_a_draft_that_moves_a_grade_shows_it() -> None:
    data = ACTIVE.model_dump(mode="json")
    data["grading"]["excellent"] = 90
    result = preview(facts(), ACTIVE, rule_set_from(data))
    assert result.changes == ()
    d1 = next(d for d in result.deputies if d.deputy_id == "d1")
    assert (d1.grade_now, d1.grade_draft) == (DeputyGrade.excellent, DeputyGrade.competent)
    assert d1.changed
    assert not result.empty


def test_a_draft_for_another_year_is_refused() -> None:
    with pytest.raises(ValueError, match="own county and year"):
        preview(facts(), ACTIVE, default_rule_set(ACTIVE.county, YEAR + 1))
