"""Case numbers read as people write them; the digest's representative excerpts."""

from __future__ import annotations

from cases.digest.voices import Said, excerpt, voices
from cases.domain.numbering import CaseNumber, NumberQuery, parse_number
from contracts.vocabulary import CaseKind

NAMES = {"990101": "青山县"}


def test_a_number_is_said_with_the_county_year_kind_and_place() -> None:
    number = CaseNumber("990101", 2026, CaseKind.suggestion, 37, "青山县")
    assert number.label == "青山县2026年建议第37号"
    assert CaseNumber("990102", 2026, CaseKind.opinion, 5).label == "[990102]2026年意见第5号"


def test_a_number_is_read_with_or_without_its_county() -> None:
    assert parse_number("青山县2026年建议第37号", NAMES) == NumberQuery(
        "990101", 2026, CaseKind.suggestion, 37
    )
    assert parse_number(" 2026年意见第5号 ", NAMES) == NumberQuery(None, 2026, CaseKind.opinion, 5)
    assert parse_number("[990102]2026年意见第5号", NAMES) == NumberQuery(
        "990102", 2026, CaseKind.opinion, 5
    )
    for nothing in ("白水县2026年建议第37号", "第37号", "37", "2026年提案第1号", ""):
        assert parse_number(nothing, NAMES) is None, nothing


def test_excerpts_end_on_a_sentence_and_mask_phone_numbers() -> None:
    text = "道路狭窄，会车困难。建议拓宽改造，完善排水设施。联系电话13812345678，请尽快办理。"
    assert excerpt(text, 20) == "道路狭窄，会车困难。"
    assert "13812345678" not in excerpt(text, 200)
    assert "138****5678" in excerpt(text, 200)


def _said(case_id: str, kind: CaseKind, tokens: dict[str, int], category: str = "交通") -> Said:
    return Said(case_id, category, kind, "990101001", None, f"内容{case_id}", tokens)


def test_the_most_typical_suggestions_of_a_category_are_quoted_first() -> None:
    said = [
        _said("odd", CaseKind.suggestion, {"路灯": 3}),
        _said("a", CaseKind.suggestion, {"道路": 2, "拓宽": 1}),
        _said("b", CaseKind.suggestion, {"道路": 1, "拓宽": 1}),
        _said("op", CaseKind.opinion, {"道路": 2, "拓宽": 1}),
        _said("school", CaseKind.suggestion, {"校舍": 1}, category="教育"),
    ]
    chosen = voices(said, per_category=2)
    assert [(v.category, v.case_id) for v in chosen] == [
        ("交通", "a"),
        ("交通", "b"),
        ("教育", "school"),
    ]
