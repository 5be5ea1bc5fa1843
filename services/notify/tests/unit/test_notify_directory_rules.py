"""The directory's pure rules: entries, addresses, who may manage what, import rows, projection."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from contracts.catalog import model_for
from contracts.vocabulary import RecipientKind as K
from notify.adapters.directory import FileError, read_table, subjects_of
from notify.domain.directory import (
    Entry,
    Office,
    Subject,
    SubjectKind,
    check_address,
    check_entry,
    entry_from_row,
    may_manage,
    missing_columns,
)
from notify.domain.model import Channel
from notify.templates.samples import TYPICAL

ADMIN = frozenset({"county_admin"})
STAFF = frozenset({"township_staff"})


@pytest.mark.parametrize(
    ("channel", "address", "ok"),
    [
        (Channel.email, "office@qingshan.gov.cn", True),
        (Channel.email, "office@qingshan", False),
        (Channel.email, "two@@example.cn", False),
        (Channel.sms, "13800001234", True),
        (Channel.sms, "12800001234", False),
        (Channel.sms, "+8613800001234", False),
        (Channel.webhook, "dh-office", True),
        (Channel.webhook, "https://oapi.dingtalk.com/robot/send?access_token=x", False),
        (Channel.in_app, "anything", False),
    ],
)
def test_an_address_is_usable_on_its_channel_only(channel: Channel, address: str, ok: bool) -> None:
    assert (check_address(channel, address) is None) == ok


def test_a_township_office_is_held_for_a_township_and_a_county_office_for_a_county() -> None:
    chair = Entry(
        K.staff, "S-1", "人大主席", "990101001", offices=frozenset({Office.township_chair})
    )
    assert check_entry(chair) == []
    misplaced = Entry(
        K.staff, "S-2", "代工委", "990101001", offices=frozenset({Office.county_staff})
    )
    assert [p.loc for p in check_entry(misplaced)] == [("offices",)]
    unit = Entry(K.handling_unit, "U-1", "县水利局", "990101001")
    assert [p.loc for p in check_entry(unit)] == [("county",)]


def test_who_may_manage_which_entry() -> None:
    township = frozenset({Office.township_staff})
    county = frozenset({Office.county_staff})
    assert may_manage(ADMIN, "990101", K.handling_unit, "990101", frozenset()) is None
    assert may_manage(ADMIN, "990101", K.staff, "990101002", township) is None
    assert may_manage(ADMIN, "990102", K.staff, "990101002", township) is not None
    assert may_manage(STAFF, "990101002", K.staff, "990101002", township) is None
    assert may_manage(STAFF, "990101002", K.staff, "990101003", township) is not None
    assert may_manage(STAFF, "990101002", K.staff, "990101002", county) is not None
    assert may_manage(STAFF, "990101002", K.handling_unit, "990101", frozenset()) is not None
    deputy = frozenset({"deputy"})
    assert may_manage(deputy, "990101002", K.staff, "990101002", township) is not None


def test_an_import_row_in_chinese_headers_becomes_an_entry() -> None:
    cells = {"人员编号": "S-9", "姓名": "柳溪镇人大", "乡镇": "990101003", "职务": "人大主席、乡镇人大工作人员",
             "邮箱": "lx@qingshan.gov.cn", "手机": "-", "状态": "在用"}  # fmt: skip
    entry, problems = entry_from_row(K.staff, cells, "990101")
    assert problems == []
    assert entry.offices == {Office.township_chair, Office.township_staff}
    assert dict(entry.contacts) == {Channel.email: "lx@qingshan.gov.cn", Channel.sms: None}
    assert entry.active


def test_an_import_row_names_each_of_its_problems_without_the_value() -> None:
    cells = {"id": "", "name": "x", "township": "99", "offices": "镇长", "sms": "1380000",
             "active": "maybe"}  # fmt: skip
    _, problems = entry_from_row(K.staff, cells, "")
    assert sorted(".".join(map(str, p.loc)) for p in problems) == [
        "active",
        "contacts.sms",
        "id",
        "offices",
        "township",
    ]
    assert all("1380000" not in p.msg for p in problems)


def test_a_file_without_a_required_column_is_named() -> None:
    assert missing_columns(K.staff, ["编号", "姓名"]) == ["township"]
    assert missing_columns(K.deputy, ["代表编号", "手机"]) == []


def test_csv_and_xlsx_rows_keep_their_sheet_row_numbers() -> None:
    text = "编号,名称\n\nU-1,县水利局\nU-2,县民政局\n".encode("gb18030")
    assert read_table(text, "text/csv", "units.csv") == [
        (3, {"编号": "U-1", "名称": "县水利局"}),
        (4, {"编号": "U-2", "名称": "县民政局"}),
    ]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "sms"])
    sheet.append(["dep-1", 13800001234])  # a phone typed into a number cell
    buffer = io.BytesIO()
    book.save(buffer)
    assert read_table(buffer.getvalue(), "", "x.xlsx") == [
        (2, {"id": "dep-1", "sms": "13800001234"})
    ]
    with pytest.raises(FileError):
        read_table(b"PK\x03\x04 not really a zip", "", "x.xlsx")


def test_the_case_projection_reads_titles_lead_units_deputies_and_measures() -> None:
    def data(event_type: str) -> object:
        model = model_for(event_type)
        assert model is not None
        return model.model_validate(TYPICAL[event_type])

    [assigned] = subjects_of(data("cases.case.assigned"))  # type: ignore[arg-type]
    assert assigned == Subject(
        SubjectKind.case, "C-2025-000123", "330102001", TYPICAL["cases.case.assigned"]["title"],
        "U-jtj", ("D-001", "D-002"),
    )  # fmt: skip
    [measure] = subjects_of(data("cases.supervision.measure_added"))  # type: ignore[arg-type]
    assert (measure.kind, measure.id, measure.lead_unit_id) == (SubjectKind.measure, "M-3", "U-jtj")
    assert subjects_of(data("cases.case.warning")) == []  # type: ignore[arg-type]


def test_a_row_of_the_deputies_roster_export_gives_only_the_addresses() -> None:
    cells = {"姓名": "王五", "工作单位及职务": "村委会主任", "状态": "active", "公民身份号码": "x",
             "手机号码": "13900001111", "编号": "3f0c-uuid"}  # fmt: skip
    entry, problems = entry_from_row(K.deputy, cells, "990101")
    assert problems == []
    assert (entry.id, dict(entry.contacts)) == ("3f0c-uuid", {Channel.sms: "13900001111"})
