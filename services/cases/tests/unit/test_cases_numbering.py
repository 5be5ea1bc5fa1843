"""Case numbers read as people write them; the digest's excerpts; no phone printed in clear."""

from __future__ import annotations

import io
from datetime import date

import docx

from cases.digest.voices import Said, excerpt, voices
from cases.documents.sheets import Names, assignment_sheet
from cases.domain.model import Case
from cases.domain.numbering import CaseNumber, NumberQuery, parse_number
from cases.domain.records import Unit
from cases.domain.states import State
from contracts.vocabulary import CaseKind, HandlingRole

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


def test_the_assignment_sheet_prints_no_phone_number_in_clear() -> None:
    case = Case(
        case_id="c-1",
        kind=CaseKind.opinion,
        township="990101001",
        title="路灯损坏",
        content="村口路灯损坏，请联系13812345678。",
        category="民生",
        deputy_ids=("dep-1",),
        received_on=date(2026, 3, 2),
        assign_by=date(2026, 3, 11),
        state=State.assigned,
        units=(Unit("power", "县供电公司", HandlingRole.lead),),
        assigned_on=date(2026, 3, 6),
        due_on=date(2026, 4, 5),
    )
    data = assignment_sheet(case, Names("青山县", {}, {}), date(2026, 3, 6))
    document = docx.Document(io.BytesIO(data))
    cells = " ".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "138****5678" in cells
    assert "13812345678" not in cells
    assert "（未编号）" in " ".join(p.text for p in document.paragraphs)
