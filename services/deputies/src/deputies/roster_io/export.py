"""Write a roster as XLSX (restricted fields already masked for the reader)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any, Final

from openpyxl import Workbook

_LEVELS: Final = {"county": "县级", "township": "镇级"}
_GENDER: Final = {"male": "男", "female": "女"}
_ELECTED: Final = {"general": "选举", "by_election": "补选"}
_STATUS: Final = {"active": "在任", "suspended": "暂停执行代表职务", "terminated": "代表资格终止"}

HEADERS: Final = (
    ("name", "姓名"),
    ("gender", "性别"),
    ("levels", "代表层级"),
    ("term", "届次"),
    ("birth_date", "出生年月"),
    ("ethnicity", "民族"),
    ("party", "政治面貌"),
    ("occupation", "工作单位及职务"),
    ("sector", "界别"),
    ("electoral_district", "选区"),
    ("deputy_group", "代表小组"),
    ("station", "联络站"),
    ("elected_by", "当选方式"),
    ("elected_on", "当选日期"),
    ("phone", "手机号码"),
    ("id_number", "公民身份号码"),
    ("address", "家庭住址"),
    ("status", "状态"),
    ("id", "编号"),
)


def _cell(name: str, item: dict[str, Any], stations: dict[str, str]) -> Any:
    value = item.get(name)
    if name == "levels":
        return "、".join(_LEVELS[v] for v in item["levels"])
    if name == "gender":
        return _GENDER.get(str(value), value)
    if name == "elected_by":
        return _ELECTED.get(str(value), value)
    if name == "status":
        return _STATUS.get(str(value), value)
    if name == "birth_date" and value is None and item.get("birth_year"):
        return str(item["birth_year"])  # masked: the year only
    if name == "station":
        return stations.get(item.get("station_id") or "")
    return value


def roster_xlsx(items: Iterable[dict[str, Any]], stations: dict[str, str]) -> bytes:
    """Return an XLSX with one row per deputy, in the import's column names (round-trips)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("代表名册")
    sheet.append([label for _, label in HEADERS])
    for item in items:
        sheet.append([_cell(name, item, stations) for name, _ in HEADERS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
