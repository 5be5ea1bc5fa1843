"""Rule documents: the seeds load with a source for every value; bad documents name the bad field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from scoring_harness import COUNTY, YEAR

from contracts.vocabulary import PointsCategory
from scoring.domain.clauses import clauses, points_category
from scoring.domain.documents import (
    InvalidDocumentError,
    assessment_rules_from,
    default_assessment_rules,
    default_rule_set,
    parse_assessment_rules,
    parse_rule_set,
    rule_set_from,
)
from scoring.domain.rules import Award

SEED = default_rule_set(COUNTY, YEAR)
ASSESSMENT = default_assessment_rules(COUNTY, YEAR)


def seed_data() -> dict[str, Any]:
    return SEED.model_dump(mode="json")


def errors_of(data: Any) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(InvalidDocumentError) as caught:
        rule_set_from(data)
    return [(e.loc, e.type) for e in caught.value.errors]


def test_the_seeds_load_for_a_county_and_year() -> None:
    assert (SEED.county, SEED.year, SEED.version) == (COUNTY, YEAR, 1)
    assert SEED.base_points == 60
    assert (SEED.grading.excellent, SEED.grading.competent) == (Decimal(85), Decimal(60))
    assert (ASSESSMENT.thresholds.excellent, ASSESSMENT.thresholds.qualified) == (
        Decimal(90),
        Decimal(80),
    )


def test_every_seeded_value_names_its_source() -> None:
    awards: list[Award] = [
        award
        for rule in SEED.activities.values()
        for award in (rule.present, rule.partial, rule.excused, rule.unexcused_absence)
        if award is not None
    ]
    assert all(award.source for award in awards)
    assert SEED.suggestion.source
    assert SEED.quality.key_chase.source
    assert SEED.quality.reply_class_a.source
    assert SEED.quality.satisfied_feedback_source
    assert all(m.source for d in ASSESSMENT.dimensions.values() for m in d.measures)
    assert ASSESSMENT.publicity.source


def test_a_document_round_trips_through_yaml_text() -> None:
    import yaml

    assert parse_rule_set(yaml.safe_dump(seed_data(), allow_unicode=True)) == SEED
    text = yaml.safe_dump(ASSESSMENT.model_dump(mode="json"), allow_unicode=True)
    assert parse_assessment_rules(text) == ASSESSMENT


def test_clause_ids_cover_every_rule_of_the_seed() -> None:
    ids = set(clauses(SEED))
    assert {"base", "suggestion.lead", "quality.satisfied_feedback"} <= ids
    assert "activity.training.partial" in ids
    assert "activity.other.excused" not in ids


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["activities"]["inspection"]["present"].update(county="three"),
            [(("activities", "inspection", "present", "county"), "decimal_parsing")],
        ),
        (
            lambda d: d["activities"]["inspection"]["present"].update(pionts=3),
            [(("activities", "inspection", "present", "pionts"), "extra_forbidden")],
        ),
        (
            lambda d: d["activities"].update(parade={"present": None}),
            [(("activities", "parade", "[key]"), "enum")],
        ),
        (
            lambda d: d["activities"]["public_welfare"]["present"].update(cap_per_year=0),
            [(("activities", "public_welfare", "present", "cap_per_year"), "greater_than")],
        ),
        (lambda d: d.update(county="3301"), [(("county",), "string_pattern_mismatch")]),
        (lambda d: d.pop("grading"), [(("grading",), "missing")]),
        (
            lambda d: d["grading"].update(excellent=50),
            [(("grading",), "value_error")],
        ),
        (
            lambda d: d["minimums"][1]["rules"].append("suggestion.leed"),
            [(("minimums", 1, "rules", 2), "unknown")],
        ),
        (
            lambda d: d["minimums"].append({**d["minimums"][0]}),
            [(("minimums", 0, "id"), "duplicate"), (("minimums", 3, "id"), "duplicate")],
        ),
    ],
)
def test_a_bad_rule_set_names_the_path_of_each_error(change: Any, expected: list[Any]) -> None:
    data = seed_data()
    change(data)
    assert errors_of(data) == expected


def test_text_that_is_not_a_mapping_or_not_yaml_is_refused() -> None:
    with pytest.raises(InvalidDocumentError) as caught:
        parse_rule_set("county: [unclosed")
    assert caught.value.errors[0].type == "yaml"
    assert "line 1" in caught.value.errors[0].msg
    assert errors_of(["a", "list"]) == [((), "dict_type")]


def test_assessment_dimensions_other_than_bonus_must_add_to_100() -> None:
    data = ASSESSMENT.model_dump(mode="json")
    data["dimensions"]["publicity"]["max"] = 15
    with pytest.raises(InvalidDocumentError) as caught:
        assessment_rules_from(data)
    assert [(e.loc, e.type) for e in caught.value.errors] == [(("dimensions",), "sum")]
    assert "add to 105" in str(caught.value)


def test_a_line_that_does_not_apply_to_every_kind_needs_a_max() -> None:
    data = ASSESSMENT.model_dump(mode="json")
    data["dimensions"]["basic_work"]["measures"][3]["max"] = None
    with pytest.raises(InvalidDocumentError) as caught:
        assessment_rules_from(data)
    assert caught.value.errors[0].loc == ("dimensions", "basic_work", "measures", 3)


def test_every_clause_maps_to_a_category_of_the_contract() -> None:
    found = {rule_id: points_category(rule_id) for rule_id in clauses(SEED)}
    assert found["base"] is PointsCategory.base
    assert found["activity.inspection.present"] is PointsCategory.activity
    assert found["activity.congress_session.present"] is PointsCategory.attendance
    assert found["activity.congress_session.excused"] is PointsCategory.attendance
    assert found["activity.research.unexcused_absence"] is PointsCategory.unexcused_absence
    assert found["suggestion.co_signer"] is PointsCategory.suggestion
    assert found["quality.reply_class_a.lead"] is PointsCategory.reply
    assert found["quality.satisfied_feedback"] is PointsCategory.reply
    assert found["quality.key_chase.co_signer"] is PointsCategory.key_chase
    assert PointsCategory.other not in found.values()


def test_a_key_given_twice_is_refused_with_its_line() -> None:
    text = "title: 规则\nbase_points: 60\nbase_points: 70\n"
    with pytest.raises(InvalidDocumentError) as caught:
        parse_rule_set(text)
    (error,) = caught.value.errors
    assert error.type == "yaml"
    assert "'base_points' given twice at line 3" in error.msg
