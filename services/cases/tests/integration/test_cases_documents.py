"""Printable documents (GB/T 9704 layout) and Excel exports, read back; each print and export audited."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import docx
import httpx
import openpyxl
import pytest
from docx.document import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from sqlalchemy import select

from cases.documents import layout
from cases.settings import CasesSettings
from cases.testing import bodies
from cases.testing.harness import COUNTY, TOWNSHIP, headers, running_app, settings_for
from kit.clock import today as china_today

pytestmark = pytest.mark.integration

NAMES = {COUNTY: "青山县"}


def _east_asian(run: Any) -> str | None:
    fonts = run._element.rPr.rFonts if run._element.rPr is not None else None
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def _check_layout(document: Document) -> None:
    """A4, the standard's margins, 仿宋 3号 body, a PAGE field between em dashes in the footer."""
    section = document.sections[0]
    mm = {  # stored in twentieths of a point: equal to the millimetre
        name: round(getattr(section, name).mm, 1)
        for name in (
            "page_width",
            "page_height",
            "top_margin",
            "bottom_margin",
            "left_margin",
            "right_margin",
        )
    }
    assert mm == {
        "page_width": 210.0,
        "page_height": 297.0,
        "top_margin": 37.0,
        "bottom_margin": 35.0,
        "left_margin": 28.0,
        "right_margin": 26.0,
    }
    normal = document.styles["Normal"]
    assert normal.font.size == Pt(16)
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == layout.BODY_FONT
    title = document.paragraphs[0].runs[0]
    assert _east_asian(title) == layout.TITLE_FONT
    assert title.font.size == Pt(22)
    footer = section.footer.paragraphs[0]
    xml = footer._p.xml
    assert "PAGE" in xml
    assert 'w:fldCharType="begin"' in xml
    assert footer.text.startswith("— ")
    assert footer.text.endswith(" —")
    body = [r for p in document.paragraphs[1:] for r in p.runs if r.text.strip()]
    assert body
    assert all(_east_asian(r) in (layout.BODY_FONT, layout.HEADING_FONT) for r in body)


def _cells(document: Document) -> list[list[str]]:
    return [[c.text for c in row.cells] for t in document.tables for row in t.rows]


async def _step(
    client: httpx.AsyncClient,
    case: dict[str, Any],
    path: str,
    body: dict[str, Any],
    auth: dict[str, str],
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/cases/{case['case_id']}/{path}",
        json=body,
        headers={**auth, "If-Match": f'"{case["version"]}"'},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _prepare(client: httpx.AsyncClient, settings: CasesSettings) -> list[dict[str, Any]]:
    admin = headers(settings, "county_admin", COUNTY)
    for unit_id, name in bodies.UNITS:
        await client.post("/api/v1/units", json=bodies.unit(unit_id, name), headers=admin)
    cases = []
    texts = [
        (
            "关于拓宽青石村道路的建议",
            "青石村道路狭窄，会车困难。建议拓宽改造，联系电话13812345678。",
            "交通",
        ),
        (
            "关于增设公交站点的建议",
            "东湖镇至县城公交班次少，站点远。建议增设站点、加密班次。",
            "交通",
        ),
        ("关于村小学校舍维修的建议", "村小学校舍年久失修，雨天漏水，建议尽快维修。", "教育"),
    ]
    for title, content, category in texts:
        body = bodies.suggestion(title=title, content=content, category=category)
        case = (await client.post("/api/v1/suggestions", json=body, headers=admin)).json()
        case = await _step(client, case, "accept", {}, admin)
        case = await _step(
            client, case, "assign", {"lead_unit_id": "traffic", "co_unit_ids": ["water"]}, admin
        )
        cases.append(case)
    cases[0] = await _step(
        client, cases[0], "reply", {"reply_class": "A", "text": "已列入改造计划并完工"}, admin
    )
    return cases


async def test_documents_read_back_with_the_standard_layout_and_exports_carry_the_lists(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix, county_names=NAMES)
    admin = headers(settings, "county_admin", COUNTY)
    async with running_app(settings, relay=False) as (service, client):
        cases = await _prepare(client, settings)
        replied, assigned = cases[0], cases[1]

        unit = headers(settings, "handling_unit", COUNTY, unit_id="traffic")
        sheet = await client.get(
            f"/api/v1/cases/{assigned['case_id']}/documents/assignment-sheet", headers=unit
        )
        assert sheet.status_code == 200, sheet.text
        document = docx.Document(io.BytesIO(sheet.content))
        _check_layout(document)
        text = "\n".join(p.text for p in document.paragraphs)
        assert "青山县人大代表建议、意见交办单" in text
        assert f"编号：{assigned['number']}" in text
        assert assigned["number"].startswith("青山县")
        rows = {r[0]: r[1] for r in _cells(document)}
        assert rows["主办单位"] == "县交通运输局"
        assert rows["会办单位"] == "县水利局"
        assert rows["标　　题"] == assigned["title"]
        assert "青山县人大常委会" in text

        not_yet = await client.get(
            f"/api/v1/cases/{assigned['case_id']}/documents/feedback-form", headers=admin
        )
        assert not_yet.status_code == 409
        deputy = headers(settings, "deputy", TOWNSHIP, deputy_id="dep-1")
        form = await client.get(
            f"/api/v1/cases/{replied['case_id']}/documents/feedback-form", headers=deputy
        )
        assert form.status_code == 200, form.text
        document = docx.Document(io.BytesIO(form.content))
        _check_layout(document)
        rows = {r[0]: r[1] for r in _cells(document)}
        assert rows["答复类别"].startswith("A类")
        assert "□满意" in rows["办理态度"]
        other_unit = headers(settings, "handling_unit", COUNTY, unit_id="education")
        refused = await client.get(
            f"/api/v1/cases/{replied['case_id']}/documents/assignment-sheet", headers=other_unit
        )
        assert refused.status_code == 403

        today = china_today()
        digest = await client.post(
            "/api/v1/digests",
            json={
                "scope": COUNTY,
                "period_start": (today - timedelta(days=30)).isoformat(),
                "period_end": today.isoformat(),
                "title": "人大代表之声",
            },
            headers=admin,
        )
        assert digest.status_code == 201, digest.text
        printed = await client.get(
            f"/api/v1/digests/{digest.json()['digest_id']}/docx", headers=admin
        )
        document = docx.Document(io.BytesIO(printed.content))
        _check_layout(document)
        voices = {r[0]: r[-1] for r in _cells(document) if len(r) == 8}
        assert voices["交通出行"].count("“") == 2  # two representative excerpts beside the counts
        assert "13812345678" not in "".join(voices.values())
        assert "138****5678" in voices["交通出行"]  # quoted, the phone masked
        assert "青山县" in voices["教育"]  # each excerpt names its case number

        listed = await client.get(
            "/api/v1/exports/cases.xlsx", params={"category": "交通出行"}, headers=admin
        )
        assert listed.status_code == 200, listed.text
        book = openpyxl.load_workbook(io.BytesIO(listed.content))
        rows_ = list(book["案件清单"].iter_rows(values_only=True))
        assert rows_[0][0] == "编号"
        assert {r[0] for r in rows_[1:]} == {cases[0]["number"], cases[1]["number"]}
        assert ("类别", "交通出行") in list(book["筛选条件"].iter_rows(values_only=True))
        as_unit = await client.get("/api/v1/exports/cases.xlsx", headers=other_unit)
        book = openpyxl.load_workbook(io.BytesIO(as_unit.content))
        assert list(book["案件清单"].iter_rows(values_only=True))[1:] == []  # not its cases

        stats = await client.get("/api/v1/exports/statistics.xlsx", headers=admin)
        assert stats.status_code == 200, stats.text
        book = openpyxl.load_workbook(io.BytesIO(stats.content))
        assert book.sheetnames == ["按镇街", "按承办单位", "按类别", "按状态", "统计口径"]
        by_category = {r[0]: r for r in book["按类别"].iter_rows(min_row=2, values_only=True)}
        assert by_category["交通出行"][1] == 2
        assert by_category["合计"][1] == 3
        by_state = list(book["按状态"].iter_rows(values_only=True))
        assert by_state[-1][0] == "合计"
        assert by_state[-1][-1] == 3

        per_deputy = await client.get("/api/v1/exports/deputies.xlsx", headers=admin)
        assert per_deputy.status_code == 200, per_deputy.text
        book = openpyxl.load_workbook(io.BytesIO(per_deputy.content))
        rows_ = list(book["代表统计"].iter_rows(values_only=True))
        assert rows_[1][0] == "dep-1"
        assert rows_[1][2] == 3  # led
        assert rows_[1][3] == 3  # cases

        audit = service.runtime.tables.audit_log
        async with service.runtime.engine.connect() as conn:
            actions = set((await conn.execute(select(audit.c.action))).scalars())
        assert {
            "print_assignment_sheet",
            "print_feedback_form",
            "export_cases",
            "export_statistics",
            "export_deputy_statistics",
        } <= actions
