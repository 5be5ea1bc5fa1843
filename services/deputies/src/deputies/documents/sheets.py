"""XLSX exports: an activity's attendance with names, and participation and training coverage."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from deputies.domain.coverage import DeputyCoverage

MARK_LABELS = {"present": "出席", "excused": "请假", "unexcused_absence": "无故缺席"}
ATTENDANCE_HEADER = ("序号", "代表ID", "姓名", "所属镇街", "出席情况")
COVERAGE_HEADER = (
    "代表ID",
    "姓名",
    "所属镇街",
    "出席次数",
    "请假次数",
    "无故缺席次数",
    "本届已培训",
    "最近培训日期",
)
DETAIL_HEADER = ("代表ID", "姓名", "活动ID", "活动", "类型", "日期", "出席情况")


def _sheet(wb: Workbook, title: str, header: Sequence[str], rows: list[list[Any]]) -> None:
    ws = wb.create_sheet(title)
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "A2"


def _bytes(wb: Workbook) -> bytes:
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def attendance(title: str, rows: list[dict[str, Any]]) -> bytes:
    """Return an activity's attendance (expected deputies and anyone marked) as XLSX bytes."""
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(
        wb,
        "签到情况",
        ATTENDANCE_HEADER,
        [
            [
                n,
                r["deputy_id"],
                r["name"],
                r["township"],
                MARK_LABELS.get(r["mark"] or "", "未登记"),
            ]
            for n, r in enumerate(rows, start=1)
        ],
    )
    wb["签到情况"].insert_rows(1)
    wb["签到情况"]["A1"] = title
    wb["签到情况"]["A1"].font = Font(bold=True, size=14)
    return _bytes(wb)


def coverage(rows: list[DeputyCoverage], names: dict[str, str]) -> bytes:
    """Return coverage as XLSX bytes: a summary per deputy and every mark of the period."""
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(
        wb,
        "履职参与",
        COVERAGE_HEADER,
        [
            [
                r.deputy_id,
                r.name,
                names.get(r.township, r.township),
                r.present,
                r.excused,
                r.absent,
                "是" if r.trained else "否",
                r.last_training,
            ]
            for r in rows
        ],
    )
    _sheet(
        wb,
        "活动明细",
        DETAIL_HEADER,
        [
            [
                r.deputy_id,
                r.name,
                m.activity_id,
                m.title,
                m.type.value,
                m.held_on,
                MARK_LABELS[m.mark],
            ]
            for r in rows
            for m in r.marks
        ],
    )
    return _bytes(wb)
