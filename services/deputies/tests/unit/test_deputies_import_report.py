"""Roster import on the embedded store: the per-row, per-column report and all-or-nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from deputies.domain.access import ScopeError
from deputies.domain.model import TownshipKind
from deputies.handlers.townships import RegisterTownship, register_township
from deputies.roster_io.importing import ImportReport, ImportRequest, import_roster
from deputies.testing.actors import caller, county_admin
from deputies.testing.bodies import id_number
from deputies.testing.harness import count, sqlite_core
from deputies.testing.sheets import csv_bytes, roster_rows, xlsx
from deputies.wiring import Core

TOWN = "990101001"


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    async with sqlite_core(str(tmp_path / "deputies.db")) as core:
        await register_township(
            core.services, county_admin(), RegisterTownship(TOWN, "东湖镇", TownshipKind.town)
        )
        yield core


async def _import(
    core: Core, content: bytes, *, all_or_nothing: bool = True, content_type: str = ""
) -> ImportReport:
    request = ImportRequest(
        township=TOWN, content=content, all_or_nothing=all_or_nothing, content_type=content_type
    )
    return await import_roster(core.services, caller("township_staff", TOWN), request)


async def _deputies(core: Core) -> int:
    return await count(core.runtime.engine, core.services.tables.deputies)


async def test_a_clean_sheet_is_written_whole(core: Core) -> None:
    report = await _import(core, xlsx(roster_rows(5, seed=3)))
    assert (report.created, report.errors, report.written) == (5, [], True)
    assert await _deputies(core) == 5


async def test_one_bad_cell_writes_nothing_and_names_row_and_column(core: Core) -> None:
    rows = roster_rows(3, seed=4)
    bad = (rows[1][0], "男女", *rows[1][2:])
    report = await _import(core, xlsx([rows[0], bad, rows[2]]))
    assert report.written is False
    assert [(e["row"], e["column"], e["header"], e["field"]) for e in report.errors] == [
        (3, "B", "性别", "gender")
    ]
    assert await _deputies(core) == 0


async def test_valid_rows_only_on_request(core: Core) -> None:
    rows = roster_rows(3, seed=5)
    bad = (*rows[1][:5], "12345", *rows[1][6:])
    report = await _import(core, xlsx([rows[0], bad, rows[2]]), all_or_nothing=False)
    assert report.created == 2
    assert report.mode == "valid_rows"
    assert [(e["row"], e["field"]) for e in report.errors] == [(3, "phone")]
    assert await _deputies(core) == 2


async def test_missing_columns_are_named_and_renamed_ones_recognised(core: Core) -> None:
    renamed = ("代表姓名", "性别", "出生日期", "联系电话", "身份证号", "备注")
    rows = [(r[0], r[1], r[4], r[5], r[6], "无") for r in roster_rows(2, seed=6)]
    report = await _import(core, xlsx(rows, header=renamed))
    assert sorted(e["field"] for e in report.errors) == ["levels", "term"]
    assert all(e["row"] == 1 for e in report.errors)
    assert report.columns["身份证号"] == "id_number"
    assert any("备注" in n["message"] for n in report.notes)
    assert await _deputies(core) == 0


async def test_full_width_digits_blank_rows_and_merged_cells(core: Core) -> None:
    number = id_number()
    wide = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    rows = [
        (
            "陈静",
            "女",
            "镇级",
            "第十八届",
            "１９８０年３月",
            "１３８１２３４５６７８",
            wide,
            "第一小组",
        ),
        (None,) * 8,
        ("王强", "男", "镇级", "１８", "1975-01", "13912345678", id_number(), None),
    ]
    report = await _import(core, xlsx(rows, title="东湖镇人大代表名册", merges=["H3:H5"]))
    assert report.errors == []
    assert (report.created, report.rows_blank) == (2, 1)
    d = core.services.tables.deputies
    assert await count(core.runtime.engine, d, d.c.id_number == number) == 1
    assert await count(core.runtime.engine, d, d.c.deputy_group == "第一小组") == 2


async def test_an_unreadable_file_and_a_sheet_without_header(core: Core) -> None:
    garbage = await _import(core, b"PK\x03\x04broken", content_type="application/vnd.ms-excel")
    assert garbage.errors
    assert garbage.errors[0]["row"] is None
    headless = await _import(core, csv_bytes([("a", "b")], header=("x", "y")))
    assert "header" in headless.errors[0]["message"]


async def test_staff_of_another_township_may_not_import(core: Core) -> None:
    with pytest.raises(ScopeError):
        await import_roster(
            core.services,
            caller("township_staff", "990101002"),
            ImportRequest(township=TOWN, content=xlsx(roster_rows(1, seed=9))),
        )
