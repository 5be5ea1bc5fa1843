"""The score card: base plus entries, totals by category, month and quarter, minimums and grades."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from scoring_harness import YEAR, P, activity, cancel, rules, suggestion

from contracts.vocabulary import ActivityType as T, DeputyGrade
from scoring.domain.documents import rule_set_from
from scoring.domain.entries import Entry
from scoring.domain.facts import Fact
from scoring.domain.ledger import derive
from scoring.domain.scorecard import grade_of, rank, score_card, score_cards

D = Decimal
RULES = rules()


def three_of_three() -> list[Fact]:
    """The 三个一 done once each by d1, in three months of two quarters."""
    return [
        activity("s", T.congress_session, {"d1": P.present}, on=date(YEAR, 1, 15), hours="8"),
        suggestion("c", "d1", "d2", on=date(YEAR, 1, 20)),
        activity("i", T.inspection, {"d1": P.present}, on=date(YEAR, 4, 2)),
    ]


def test_the_card_adds_base_and_entries_by_category_month_and_quarter() -> None:
    card = score_card("d1", derive(three_of_three(), RULES), RULES)
    # 60 base + 2 half-days × 5 + suggestion 3 + inspection 3 = 76
    assert card.total == D(76)
    by_category = {t.label: t.points for t in card.by_category}
    assert by_category["base"] == D(60)
    assert by_category["session"] == D(10)
    assert by_category["suggestion"] == D(3)
    assert by_category["activity"] == D(3)
    assert sum(by_category.values()) == card.total
    months = {t.label: t.points for t in card.by_month if t.points}
    assert months == {f"{YEAR}-01": D(13), f"{YEAR}-04": D(3)}
    quarters = {t.label: t.points for t in card.by_quarter}
    assert quarters[f"{YEAR}-Q1"] == D(13)
    assert quarters[f"{YEAR}-Q2"] == D(3)
    assert all(check.met for check in card.minimums)
    assert card.grade is DeputyGrade.competent


def test_every_number_has_the_lines_behind_it() -> None:
    card = score_card("d1", derive(three_of_three(), RULES), RULES)
    for total in (*card.by_category[1:], *card.by_month, *card.by_quarter):
        assert total.points == sum((e.points for e in total.lines), D(0))
        assert all(e.deputy_id == "d1" for e in total.lines)
    assert card.by_category[0].lines == ()  # the base is the rule itself, not an entry


def test_a_missing_minimum_forces_the_grade_whatever_the_score() -> None:
    facts = [activity(f"t{i}", T.training, {"d1": P.present}) for i in range(4)]
    card = score_card("d1", derive(facts, RULES), RULES)
    assert card.total == D(100)
    assert card.grade_score == D(100)
    assert card.grade is DeputyGrade.not_competent
    assert {c.id for c in card.minimums if not c.met} == {"session", "suggestion", "inspection"}
    assert any("minimum suggestion not met (0/1)" in r for r in card.grade_reasons)


def test_a_cancelled_activity_no_longer_counts_toward_a_minimum() -> None:
    facts = [*three_of_three(), cancel("i", 2)]
    card = score_card("d1", derive(facts, RULES), RULES)
    assert [c.id for c in card.minimums if not c.met] == ["inspection"]
    assert card.total == D(73)


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("85", DeputyGrade.excellent),
        ("84.99", DeputyGrade.competent),
        ("60", DeputyGrade.competent),
        ("59.99", DeputyGrade.not_competent),
        ("-10", DeputyGrade.not_competent),
    ],
)
def test_grade_thresholds_at_the_boundary(score: str, grade: DeputyGrade) -> None:
    assert grade_of(D(score), RULES) is grade


def test_grades_normalised_to_100_put_the_best_deputy_at_100() -> None:
    data = RULES.model_dump(mode="json")
    data["grading"]["normalise_to_100"] = True
    data["minimums"] = []
    normalised = rule_set_from(data)
    facts = [
        activity("t", T.training, {"d1": P.present}),  # d1: 70
        activity("i", T.inspection, {"d2": P.present}),  # d2: 63
        activity("x", T.research, {"d3": P.unexcused_absence}),  # d3: 58
    ]
    cards = score_cards(derive(facts, normalised), normalised)
    assert {d: c.grade_score for d, c in cards.items()} == {
        "d1": D(100),
        "d2": D("90.00"),
        "d3": D("82.86"),
    }
    assert {d: c.grade for d, c in cards.items()} == {
        "d1": DeputyGrade.excellent,
        "d2": DeputyGrade.excellent,
        "d3": DeputyGrade.competent,
    }


def test_a_deputy_without_entries_has_the_base_points() -> None:
    cards = score_cards(list[Entry](), RULES, ["d7"])
    assert cards["d7"].total == D(60)
    assert cards["d7"].lines == ()


def test_competition_ranks_share_a_place_on_a_tie() -> None:
    assert rank({"a": D(80), "b": D(90), "c": D(80), "d": D(70)}) == {
        "b": 1,
        "a": 2,
        "c": 2,
        "d": 4,
    }
