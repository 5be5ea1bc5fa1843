"""Reading roster files: headers by alias, merged cells, full-width digits, blank rows, CSV encodings."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from deputies.domain.model import ElectedBy, Gender, Level
from deputies.roster_io import columns as col
from deputies.roster_io.reading import (
    UnreadableFileError,
    find_header,
    is_blank,
    read_grid,
    read_with_openpyxl,
)
from deputies.roster_io.sheetxml import read_sheet
from deputies.testing.sheets import csv_bytes, xlsx


def test_full_width_digits_and_spaces_fold_to_ascii() -> None:
    assert col.as_text("１３８ ００１３ ８０００") == "138 0013 8000"
    assert col.as_phone(col.as_text("１３８－００１３－８０００") or "") == "13800138000"
    assert col.as_text("　") is None


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("县级", {Level.county}),
        ("镇级", {Level.township}),
        ("乡镇", {Level.township}),
        ("县级、镇级", {Level.county, Level.township}),
        ("county,township", {Level.county, Level.township}),
    ],
)
def test_levels_read_from_chinese_and_english(text: str, levels: set[Level]) -> None:
    assert col.as_levels(text) == frozenset(levels)


@pytest.mark.parametrize(
    ("text", "term"), [("18", 18), ("第18届", 18), ("第十八届", 18), ("十", 10), ("二十一", 21)]
)
def test_terms_read_in_digits_or_chinese_numerals(text: str, term: int) -> None:
    assert col.as_term(text) == term


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("1975-03-02", date(1975, 3, 2)),
        ("1975/3/2", date(1975, 3, 2)),
        ("1975年3月2日", date(1975, 3, 2)),
        ("1975年3月", date(1975, 3, 1)),
        ("1975.03", date(1975, 3, 1)),
        (date(1980, 5, 6), date(1980, 5, 6)),
    ],
)
def test_dates_read_in_the_usual_forms(value: object, day: date) -> None:
    assert col.as_date(value) == day


@pytest.mark.parametrize("bad", ["1975", "三月", "1975-13-01"])
def test_bad_dates_are_cell_errors(bad: str) -> None:
    with pytest.raises(col.CellError):
        col.as_date(bad)


def test_other_cells() -> None:
    assert col.as_gender("女") is Gender.female
    assert col.as_elected_by("补选") is ElectedBy.by_election
    assert col.as_id_number(" 11010519491231002x ") == "11010519491231002X"
    with pytest.raises(col.CellError):
        col.as_gender("未知")


def test_renamed_headers_map_to_fields() -> None:
    assert col.field_for("身份证号") == "id_number"
    assert col.field_for(" 联系电话 ") == "phone"
    assert col.field_for("姓 名") == "name"
    assert col.field_for("备注") is None


def test_xlsx_header_below_a_merged_title_and_vertical_merges_are_filled() -> None:
    content = xlsx(
        [
            ("张伟", "男", "镇级", 18, "1970-01", "", "", "第一小组"),
            ("李娜", "女", "镇级", 18, "1972-02", "", "", None),
            (None, None, None, None, None, None, None, None),
            ("王芳", "女", "镇级", 18, "1980-03", "", "", "第二小组"),
        ],
        title="东湖镇第十八届人大代表名册",
        merges=["H3:H4"],
    )
    grid = read_grid(content, "application/octet-stream")
    header = find_header(grid)
    assert header is not None
    assert header.row == 2
    rows = dict(grid.rows)
    assert rows[4][7] == "第一小组"
    assert is_blank(rows[5])
    assert any(note["rows"] == [3, 4] and note["columns"] == ["H", "H"] for note in grid.notes)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_csv_in_utf8_or_gb18030(encoding: str) -> None:
    content = csv_bytes([("张伟", "男", "镇级", "18", "", "", "", "")], encoding=encoding)
    grid = read_grid(content, "text/csv")
    header = find_header(grid)
    assert header is not None
    assert header.fields[:4] == ["name", "gender", "levels", "term"]
    assert grid.rows[1][1][0] == "张伟"


def test_garbage_is_unreadable() -> None:
    with pytest.raises(UnreadableFileError):
        read_grid(b"PK\x03\x04 not really a zip", "application/vnd.ms-excel")


def test_the_streaming_reader_agrees_with_openpyxl_on_dates_numbers_and_gaps() -> None:
    content = xlsx(
        [
            ("张伟", "男", "镇级", 18, date(1970, 1, 5), 13812345678, "110105194912310021", None),
            (None,) * 8,
            ("李娜", "女", "县级", 18.5, "1972-02", None, None, "第二小组"),
        ]
    )
    fast, merged = read_sheet(content)
    slow = read_with_openpyxl(content)
    assert merged == []
    assert [(n, [v for v in values if v is not None]) for n, values in fast] == [
        (n, [v.date() if isinstance(v, datetime) else v for v in values if v is not None])
        for n, values in slow
    ]
    assert fast[1][1][4] == date(1970, 1, 5)
