"""Excel workbooks (openpyxl): case lists, statistics by township, unit, category and state, per deputy."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from cases.domain.statistics import Tally

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATES = {
    "received": "已收到",
    "answered_on_spot": "当场答复",
    "not_accepted": "不予受理",
    "merged": "已并案",
    "to_suggestion": "转为建议",
    "accepted": "已受理",
    "assigned": "办理中",
    "returned": "已退办",
    "replied": "已答复",
    "rehandling": "重新办理",
    "follow_up": "跟踪办理",
    "closed": "已办结",
}
KINDS = {"suggestion": "代表建议", "opinion": "选民意见"}
TALLY_HEADER = [
    "名称",
    "件数",
    "已答复",
    "按时答复",
    "按时答复率",
    "解决",
    "解决率",
    "A类",
    "评价",
    "满意",
    "满意率",
    "逾期",
]
_FORMULA_START = ("=", "+", "-", "@")


def safe(value: Any) -> Any:
    """Return a cell value that no spreadsheet runs as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _sheet(
    book: Workbook, title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]
) -> Worksheet:
    sheet = book.create_sheet(title)
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe(v) for v in row])
    sheet.freeze_panes = "A2"
    for i, name in enumerate(header, start=1):
        longest = max([len(str(name)), *(len(str(r[i - 1])) for r in rows if i - 1 < len(r))])
        sheet.column_dimensions[get_column_letter(i)].width = min(60, 2 + longest * 2)
    return sheet


def _book() -> Workbook:
    book = Workbook()
    book.remove(book.active)
    return book


def _bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rate(value: float | None) -> float | str:
    return "" if value is None else value


def tally_row(name: str, t: Tally) -> list[Any]:
    """Return one tally as a row under ``TALLY_HEADER`` (rates as fractions, blank without a base)."""
    return [
        name,
        t.total,
        t.replied,
        t.on_time,
        _rate(t.on_time_rate),
        t.solved,
        _rate(t.solved_rate),
        t.class_a,
        t.with_feedback,
        t.satisfied,
        _rate(t.satisfaction_rate),
        t.overdue,
    ]


@dataclass(frozen=True)
class Filters:
    """What a sheet was made of, written on its first lines."""

    lines: Sequence[tuple[str, str]]


def cases_workbook(
    items: Sequence[Mapping[str, Any]], names: Callable[[str, str | None], str], filters: Filters
) -> bytes:
    """Return a case list as a workbook: one row per case, and the list's filters on a second sheet."""
    book = _book()
    header = [
        "编号",
        "类型",
        "镇街",
        "标题",
        "类别",
        "状态",
        "主办单位",
        "收到日期",
        "答复期限",
        "答复类别",
        "按时答复",
        "已解决",
        "逾期",
        "重点督办",
    ]
    rows = [
        [
            i.get("number") or "",
            KINDS.get(i["kind"], i["kind"]),
            names("township", i["township"]),
            i["title"],
            i["category"],
            STATES.get(i["state"], i["state"]),
            names("unit", i["lead_unit_id"]),
            i["received_on"],
            i["due_on"],
            i["reply_class"] or "",
            "" if i["on_time"] is None else ("是" if i["on_time"] else "否"),
            "是" if i["solved"] else "否",
            "是" if i["overdue"] else "否",
            "是" if i["key_chase"] else "",
        ]
        for i in items
    ]
    sheet = _sheet(book, "案件清单", header, rows)
    for row in sheet.iter_rows(min_row=2, min_col=8, max_col=9):
        for cell in row:
            cell.number_format = "yyyy-mm-dd"
    _sheet(book, "筛选条件", ["条件", "值"], [list(line) for line in filters.lines])
    return _bytes(book)


def statistics_workbook(
    overall: Tally,
    groups: Mapping[str, Sequence[Tally]],
    names: Callable[[str, str | None], str],
    filters: Filters,
) -> bytes:
    """Return statistics by township, unit and category (rates) and by state (counts)."""
    book = _book()
    titles = {"township": "按镇街", "unit": "按承办单位", "category": "按类别"}
    for by, tallies in groups.items():
        rows = [tally_row(names(by, t.key), t) for t in tallies]
        sheet = _sheet(book, titles[by], TALLY_HEADER, [*rows, tally_row("合计", overall)])
        _percent(sheet)
    states = sorted(
        {s for t in groups.get("township", ()) for s in t.by_state} | set(overall.by_state)
    )
    township_rows = [
        [names("township", t.key), *(t.by_state.get(s, 0) for s in states), t.total]
        for t in groups.get("township", ())
    ]
    total = ["合计", *(overall.by_state.get(s, 0) for s in states), overall.total]
    _sheet(
        book,
        "按状态",
        ["镇街", *(STATES.get(s, s) for s in states), "合计"],
        [*township_rows, total],
    )
    _sheet(book, "统计口径", ["条件", "值"], [list(line) for line in filters.lines])
    return _bytes(book)


def _percent(sheet: Worksheet) -> None:
    for row in sheet.iter_rows(min_row=2):
        for index in (4, 6, 10):  # 按时答复率, 解决率, 满意率
            row[index].number_format = "0.0%"


@dataclass(frozen=True)
class DeputyLine:
    """One deputy's cases in a period: as first signatory (领衔) and all together."""

    deputy_id: str
    name: str
    township: str
    led: int
    tally: Tally


def deputies_workbook(
    lines: Sequence[DeputyLine], names: Callable[[str, str | None], str], filters: Filters
) -> bytes:
    """Return statistics per deputy: cases led and joined, replies, rates, overdue."""
    book = _book()
    header = ["代表", "镇街", "领衔件数", *TALLY_HEADER[1:]]
    rows = [
        [line.name, names("township", line.township), line.led, *tally_row("", line.tally)[1:]]
        for line in lines
    ]
    sheet = _sheet(book, "代表统计", header, rows)
    for row in sheet.iter_rows(min_row=2):
        for index in (6, 8, 12):
            row[index].number_format = "0.0%"
    _sheet(book, "统计口径", ["条件", "值"], [list(line) for line in filters.lines])
    return _bytes(book)


def period_lines(
    scope: str, start: date | None, end: date | None, kind: str | None
) -> list[tuple[str, str]]:
    """Return the lines that say what a statistics sheet covers."""
    return [
        ("范围", scope),
        ("起始日期", start.isoformat() if start else "不限"),
        ("截止日期", end.isoformat() if end else "不限"),
        ("类型", KINDS.get(kind or "", "全部")),
    ]
