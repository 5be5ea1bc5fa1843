"""Masking of personal data for display and export, and checks of ID numbers and mobiles (pure).

Mask on the server, when serialising (research/domain.md §7.2): the front end is not a control.
Every masker returns ``None`` for ``None`` and an empty string for an empty string, so callers
write one line per field: ``masked(row.phone, MaskKind.phone, reveal=entitled)``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Protocol, cast, overload

from kit import clock

STARS = "****"


class Masker(Protocol):
    """A masking function: ``str`` to ``str``, ``None`` to ``None``."""

    @overload
    def __call__(self, value: str) -> str: ...
    @overload
    def __call__(self, value: None) -> None: ...


def _keeps_empty(mask: Callable[[str], str]) -> Masker:
    """Make a masker of non-empty text pass ``None`` and blank text through unchanged."""

    @functools.wraps(mask)
    def masker(value: str | None) -> str | None:
        if value is None or not value.strip():
            return value
        return mask(value.strip())

    return cast(Masker, masker)


def _mask_digits(text: str, head: int, tail: int = 4) -> str:
    """Star every digit but the first ``head`` and last ``tail``; keep separators as they are.

    At least four digits are always starred: a short number loses its head, then its tail.
    """
    count = sum(c.isdigit() for c in text)
    if count - head - tail < 4:
        head = 0
    tail = min(tail, max(count - 4, 0), count // 2)
    out, seen = [], 0
    for char in text:
        if char.isdigit():
            seen += 1
            out.append(char if seen <= head or seen > count - tail else "*")
        else:
            out.append(char)
    return "".join(out)


_SEPARATORS = re.compile(r"[\s\-()（）]")
_MOBILE_CC = re.compile(r"(?P<cc>(?:\+|00)?86)?(?P<number>1[3-9]\d{9})", re.ASCII)


@_keeps_empty
def mask_phone(value: str) -> str:
    """Mask a phone: mobiles 3+4 (``138****1234``, ``+86 138****1234``), landlines keep area code."""
    compact = _SEPARATORS.sub("", value)
    mobile = _MOBILE_CC.fullmatch(compact)
    if mobile:
        number = mobile["number"]
        return ("+86 " if mobile["cc"] else "") + number[:3] + STARS + number[-4:]
    digits = re.sub(r"\D", "", compact)
    head = 0
    if compact.startswith(("+86", "0086")):  # +86 571 8765 4321: country code, area code sans 0
        head = 4 if digits.startswith("0086") else 2
        head += 2 if digits[head : head + 1] in ("1", "2") else 3
    elif digits.startswith("0"):  # 010 / 02x are 3 digits with the trunk 0, the others 4
        head = 3 if digits[1:2] in ("1", "2") else 4
    return _mask_digits(value, head)


@_keeps_empty
def mask_id_number(value: str) -> str:
    """Mask an ID number 6+4 (``110101********1234``; 15-digit ``110101*****1234``)."""
    if len(value) in (15, 18):
        return value[:6] + "*" * (len(value) - 10) + value[-4:]
    if len(value) < 6:  # other documents (passports, permits): first 1 and last 2 at most
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 3) + value[-2:]


@_keeps_empty
def mask_email(value: str) -> str:
    """Mask an e-mail to the local part's first character: ``z***@example.com``."""
    local, at, domain = value.partition("@")
    return f"{local[:1]}***{at}{domain}" if at else f"{value[:1]}***"


# Addresses: keep the administrative prefix down to the county level, drop the rest.
#   province   北京|上海|天津|重庆市 (then no city level), or …省 / …自治区 / …特别行政区
#   city       …市 / …自治州 / …地区 / …盟  (optional)
#   county     the first …区 / …县 / …旗 / …市 (incl. 自治县, 自治旗, 新市区) after them
# Townships (镇, 乡, 街道), villages, roads and house numbers are never kept. A county part needs
# a province or city before it, and names like 小区/社区/园区 are not counties: when unsure, less
# is shown. Nothing recognised gives "****".
_MUNICIPALITY = re.compile(r"(?:北京|上海|天津|重庆)市")
_PROVINCE = re.compile(r"[^省市区县旗\d]{1,12}?(?:省|自治区|特别行政区)")
_CITY = re.compile(r"[^省市区县旗镇乡街路道号村\d]{1,12}?(?:自治州|地区|盟|市)")
_COUNTY = re.compile(r"[^省区县旗镇乡街路道巷弄号村\d]{1,10}?(?:自治县|自治旗|市区|区|县|旗|市)")
_NOT_COUNTY = ("小区", "社区", "校区", "厂区", "园区", "景区", "片区", "街区", "营区", "超市")


@_keeps_empty
def mask_address(value: str) -> str:
    """Keep an address down to its county level: ``浙江省杭州市西湖区文三路100号`` -> ``浙江省杭州市西湖区``."""
    text = re.sub(r"\s+", "", value)
    pos = 0
    municipality = _MUNICIPALITY.match(text)
    province = municipality or _PROVINCE.match(text)
    if province:
        pos = province.end()
    city = None if municipality else _CITY.match(text, pos)
    if city:
        pos = city.end()
    county = _COUNTY.match(text, pos) if pos else None
    if county and not county.group().endswith(_NOT_COUNTY):
        pos = county.end()
    return text[:pos] if pos else STARS


# Two-character surnames (复姓): a name of 3+ characters starting with one keeps both; "司马" alone
# is read as surname 司 + given name 马. Modern double surnames (张王某) keep one character.
_COMPOUND = (
    "欧阳 太史 端木 上官 司马 东方 独孤 南宫 万俟 闻人 夏侯 诸葛 尉迟 公羊 赫连 澹台 皇甫 宗政 濮阳 "
    "公冶 太叔 申屠 公孙 慕容 仲孙 钟离 长孙 宇文 司徒 鲜于 司空 闾丘 子车 亓官 司寇 巫马 公西 颛孙 "
    "壤驷 公良 漆雕 乐正 宰父 谷梁 拓跋 夹谷 轩辕 令狐 段干 百里 呼延 东郭 南门 羊舌 微生 梁丘 左丘 "
    "东门 西门 第五 即墨 达奚 褚师 公仪 南荣 东里"
)
COMPOUND_SURNAMES = frozenset(_COMPOUND.split())


@_keeps_empty
def surname_only(value: str) -> str:
    """Keep the surname and replace the given name: ``张三`` -> ``张某``, ``欧阳修`` -> ``欧阳某``."""
    name = re.sub(r"\s+", "", value)
    surname = name[:2] if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else name[:1]
    return surname + "某"


class MaskKind(StrEnum):
    """The kinds of personal data we mask."""

    phone = "phone"
    id_number = "id_number"
    address = "address"
    name = "name"
    email = "email"


MASKERS: dict[MaskKind, Masker] = {
    MaskKind.phone: mask_phone,
    MaskKind.id_number: mask_id_number,
    MaskKind.address: mask_address,
    MaskKind.name: surname_only,
    MaskKind.email: mask_email,
}


class Sensitivity(StrEnum):
    """How widely a field may be shown in clear (research/domain.md §7.3)."""

    public = "public"  # anyone: a deputy's name and duties (代表法 Art. 58), consented contacts
    internal = "internal"  # signed-in users within scope; masked in public outputs
    restricted = "restricted"  # only those a rule entitles (roster admins, own chair); audited


def may_reveal(sensitivity: Sensitivity, *, signed_in: bool, entitled: bool) -> bool:
    """Tell whether a field of that sensitivity may be shown in clear to this viewer."""
    if sensitivity is Sensitivity.public:
        return True
    if sensitivity is Sensitivity.internal:
        return signed_in
    return entitled


@overload
def masked(value: str, kind: MaskKind, *, reveal: bool) -> str: ...
@overload
def masked(value: None, kind: MaskKind, *, reveal: bool) -> None: ...
def masked(value: str | None, kind: MaskKind, *, reveal: bool) -> str | None:
    """Return the value in clear when ``reveal``, else masked as its kind."""
    if reveal or value is None:
        return value
    return MASKERS[kind](value)


# GB 11643-1999: 6-digit area, 8-digit birth date, 3-digit sequence, ISO 7064 MOD 11-2 check.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ID_FORM = re.compile(r"[1-9]\d{16}[\dX]", re.ASCII)
_MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)


def id_check_char(first17: str) -> str:
    """Return the check character (0-9 or X) of the first 17 digits of an ID number."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("expected 17 digits")
    return _CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalize_id_number(value: str) -> str:
    """Return an ID number as stored: no surrounding space, upper-case X."""
    return value.strip().upper()


def valid_id_number(value: str, *, today: date | None = None) -> bool:
    """Tell whether an 18-character resident ID number is well formed (birth date, checksum).

    A lower-case ``x`` is accepted (store ``normalize_id_number``); 15-digit first-generation
    numbers are not valid identity documents any more and are refused.
    """
    number = value.upper()
    if not _ID_FORM.fullmatch(number):
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or born > (today or clock.today()):
        return False
    return id_check_char(number[:17]) == number[17]


def valid_mobile(value: str) -> bool:
    """Tell whether text is a mainland mobile number: 11 digits, ``1[3-9]`` first, no prefix."""
    return _MOBILE.fullmatch(value) is not None
