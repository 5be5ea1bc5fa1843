"""Roster columns: the header names people use for each field, and how to read a cell."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from deputies.domain.model import ElectedBy, Gender, Level


@dataclass(frozen=True)
class Column:
    """A field of the roster and the headers that mean it."""

    field: str
    label: str
    aliases: tuple[str, ...]
    required: bool = False


COLUMNS: Final = (
    Column("name", "姓名", ("姓名", "代表姓名", "name"), required=True),
    Column("gender", "性别", ("性别", "gender", "sex"), required=True),
    Column(
        "levels",
        "代表层级",
        ("代表层级", "层级", "级别", "代表级别", "levels", "level"),
        required=True,
    ),
    Column("term", "届次", ("届次", "届别", "届", "term"), required=True),
    Column(
        "birth_date", "出生年月", ("出生年月", "出生日期", "出生年月日", "birth_date", "birthday")
    ),
    Column("ethnicity", "民族", ("民族", "ethnicity")),
    Column("party", "政治面貌", ("政治面貌", "党派", "party")),
    Column(
        "occupation", "工作单位及职务", ("工作单位及职务", "职业", "工作单位", "职务", "occupation")
    ),
    Column("sector", "界别", ("界别", "行业", "代表构成", "sector")),
    Column("electoral_district", "选区", ("选区", "选区名称", "electoral_district")),
    Column("deputy_group", "代表小组", ("代表小组", "所属代表小组", "小组", "deputy_group")),
    Column("station", "联络站", ("联络站", "代表联络站", "所属联络站", "station")),
    Column("elected_by", "当选方式", ("当选方式", "elected_by")),
    Column(
        "elected_on", "当选日期", ("当选日期", "当选时间", "任职日期", "elected_on", "status_since")
    ),
    Column("phone", "手机号码", ("手机号码", "手机", "联系电话", "电话", "phone", "mobile")),
    Column(
        "id_number",
        "公民身份号码",
        ("公民身份号码", "身份证号", "身份证号码", "身份证", "id_number"),
    ),
    Column("address", "家庭住址", ("家庭住址", "住址", "地址", "address")),
)
BY_FIELD: Final = {c.field: c for c in COLUMNS}


def normalise(text: str) -> str:
    """Fold full-width digits, letters and spaces to ASCII (NFKC) and trim."""
    return unicodedata.normalize("NFKC", text).strip()


def _key(header: str) -> str:
    return re.sub(r"[\s_\-()（）*：:]", "", normalise(header)).lower()


_ALIASES: Final = {_key(a): c.field for c in COLUMNS for a in c.aliases}


def field_for(header: str) -> str | None:
    """Return the field a header names, or None when unknown."""
    return _ALIASES.get(_key(header))


class CellError(ValueError):
    """A cell that cannot be read as its field."""


def as_text(value: object) -> str | None:
    """Return a cell as normalised text, None when blank."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = normalise(str(value))
    return text or None


def as_gender(text: str) -> Gender:
    """Read 男/女 (or male/female, M/F)."""
    folded = text.lower()
    if folded in {"男", "male", "m"}:
        return Gender.male
    if folded in {"女", "female", "f"}:
        return Gender.female
    raise CellError("write 男 or 女")


def as_levels(text: str) -> frozenset[Level]:
    """Read 县级 / 镇级 / 县、镇 (or county, township) into a set of levels."""
    folded = text.lower()
    levels = set()
    if "县" in folded or "county" in folded:
        levels.add(Level.county)
    if any(mark in folded for mark in ("镇", "乡", "township")):
        levels.add(Level.township)
    if not levels:
        raise CellError("write 县级, 镇级 or both (县级、镇级)")
    return frozenset(levels)


_DIGITS: Final = {c: i for i, c in enumerate("零一二三四五六七八九")}


def _chinese_number(text: str) -> int:
    if text == "十":
        return 10
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)
    return _DIGITS[text]


def as_term(text: str) -> int:
    """Read 18, 第18届 or 第十八届."""
    core = text.removeprefix("第").removesuffix("届")
    try:
        return int(core) if core.isdigit() else _chinese_number(core)
    except (KeyError, ValueError):
        raise CellError("write the term as a number, e.g. 18 or 第十八届") from None


_DATE: Final = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?|\s*月?)$")


#: Day 0 of Excel's serial dates (1900 system, with its phantom 29 February 1900).
_EXCEL_EPOCH: Final = date(1899, 12, 30)
_SERIAL: Final = re.compile(r"^\d{5}(\.0+)?$")  # 10000 is 1927-05-18: years stay text


def as_date(value: object) -> date:
    """Read a date cell: a real date, an Excel serial number (44558), 1975-03-02, 1975/3/2,
    1975年3月2日 or 1975.03 (month)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = as_text(value) or ""
    if _SERIAL.match(text):  # a date cell stored as a number (no date format on the cell)
        return _EXCEL_EPOCH + timedelta(days=int(float(text)))
    match = _DATE.match(text)
    if not match:
        raise CellError("write a date as 1975-03-02 or 1975年3月")
    year, month, day = match.groups()
    try:
        return date(int(year), int(month), int(day or 1))
    except ValueError:
        raise CellError("no such date") from None


def as_elected_by(text: str) -> ElectedBy:
    """Read 补选 as a by-election and anything else naming an election as the general one."""
    if "补选" in text or text.lower() in {"by_election", "by-election"}:
        return ElectedBy.by_election
    if text in {"选举", "换届选举", "general"} or "选" in text:
        return ElectedBy.general
    raise CellError("write 选举 or 补选")


def as_phone(text: str) -> str:
    """Strip separators and a +86 prefix from a phone number."""
    digits = re.sub(r"[\s\-()]", "", text)
    return digits.removeprefix("+86")


def as_id_number(text: str) -> str:
    """Strip spaces and upper-case a trailing x."""
    return re.sub(r"\s", "", text).upper()
