"""Masking of phones, ID numbers, addresses, names and e-mails; ID-number and mobile checks."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, strategies as st

from kit.masking import (
    MaskKind,
    Sensitivity,
    id_check_char,
    mask_address,
    mask_email,
    mask_id_number,
    mask_phone,
    masked,
    may_reveal,
    normalize_id_number,
    surname_only,
    valid_id_number,
    valid_mobile,
)

# The check character written out from GB 11643 (ISO 7064 MOD 11-2), independent of the module.
WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]


def check_char(first17: str) -> str:
    remainder = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11
    return "10X98765432"[remainder]


def with_check(first17: str) -> str:
    return first17 + check_char(first17)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812341234", "138****1234"),
        (" 13812341234 ", "138****1234"),
        ("138-1234-1234", "138****1234"),
        ("+8613812341234", "+86 138****1234"),
        ("+86 138 1234 1234", "+86 138****1234"),
        ("008613812341234", "+86 138****1234"),
        ("010-12345678", "010-****5678"),
        ("0571-87654321", "0571-****4321"),
        ("057187654321", "0571****4321"),
        ("(0571)87654321", "(0571)****4321"),
        ("87654321", "****4321"),
        ("+86 571 8765 4321", "+86 571 **** 4321"),
        ("+86-10-12345678", "+86-10-****5678"),
        ("12345", "****5"),
        ("110", "***"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_phone(value: str | None, expected: str | None) -> None:
    assert mask_phone(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("110101199003071234", "110101********1234"),
        ("11010519491231002X", "110105********002X"),
        ("110101900307123", "110101*****7123"),  # 15-digit first-generation number
        ("E12345678", "E******78"),  # a passport: first 1, last 2
        ("12345", "*****"),
        ("   ", "   "),
        ("", ""),
        (None, None),
    ],
)
def test_mask_id_number(value: str | None, expected: str | None) -> None:
    assert mask_id_number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("浙江省杭州市西湖区文三路100号", "浙江省杭州市西湖区"),
        ("北京市海淀区中关村大街1号", "北京市海淀区"),
        ("上海市浦东新区张江镇科苑路88号", "上海市浦东新区"),
        ("重庆市巫山县龙门街道", "重庆市巫山县"),
        ("浙江省 杭州市 余杭区 良渚街道", "浙江省杭州市余杭区"),
        ("内蒙古自治区呼和浩特市新城区成吉思汗大街", "内蒙古自治区呼和浩特市新城区"),
        ("内蒙古自治区锡林郭勒盟正蓝旗上都镇", "内蒙古自治区锡林郭勒盟正蓝旗"),
        ("新疆维吾尔自治区乌鲁木齐市新市区北京路", "新疆维吾尔自治区乌鲁木齐市新市区"),
        ("山东省济南市市中区经十路", "山东省济南市市中区"),
        ("海南省陵水黎族自治县椰林镇", "海南省陵水黎族自治县"),
        ("湖北省恩施土家族苗族自治州恩施市舞阳坝街道", "湖北省恩施土家族苗族自治州恩施市"),
        # a county-level city under a province: nothing after it is kept
        ("浙江省义乌市稠城街道幸福小区3幢", "浙江省义乌市"),
        ("广东省东莞市南城街道元美路", "广东省东莞市"),
        # a compound or community is not a county
        ("杭州市翠苑小区5幢301室", "杭州市"),
        ("浙江杭州市西湖区文三路", "浙江杭州市西湖区"),
        # nothing recognised before it: hide it all rather than guess
        ("西湖区文三路100号", "****"),
        ("幸福小区3幢", "****"),
        ("浙江省杭州市西湖区", "浙江省杭州市西湖区"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_address(value: str | None, expected: str | None) -> None:
    assert mask_address(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("张三", "张某"),
        ("张三丰", "张某"),
        ("欧阳修", "欧阳某"),
        ("司马光", "司马某"),
        ("诸葛亮", "诸葛某"),
        ("上官婉儿", "上官某"),
        ("令狐冲", "令狐某"),
        ("慕容复", "慕容某"),
        ("尉迟恭", "尉迟某"),
        ("申屠嘉", "申屠某"),
        ("司马", "司某"),  # two characters: surname 司, given name 马
        ("欧 阳修", "欧阳某"),
        ("王", "王某"),
        ("", ""),
        (None, None),
    ],
)
def test_surname_only(value: str | None, expected: str | None) -> None:
    assert surname_only(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("zhangsan@example.com", "z***@example.com"),
        ("a@b.cn", "a***@b.cn"),
        ("not-an-email", "n***"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_email(value: str | None, expected: str | None) -> None:
    assert mask_email(value) == expected


@pytest.mark.parametrize(
    ("kind", "value", "hidden"),
    [
        (MaskKind.phone, "13812341234", "138****1234"),
        (MaskKind.id_number, "110101199003071234", "110101********1234"),
        (MaskKind.address, "浙江省杭州市西湖区文三路100号", "浙江省杭州市西湖区"),
        (MaskKind.name, "欧阳修", "欧阳某"),
        (MaskKind.email, "zhangsan@example.com", "z***@example.com"),
    ],
)
def test_masked_reveals_only_when_told(kind: MaskKind, value: str, hidden: str) -> None:
    assert masked(value, kind, reveal=True) == value
    assert masked(value, kind, reveal=False) == hidden
    assert masked(None, kind, reveal=False) is None


@pytest.mark.parametrize(
    ("sensitivity", "signed_in", "entitled", "expected"),
    [
        (Sensitivity.public, False, False, True),
        (Sensitivity.internal, False, False, False),
        (Sensitivity.internal, True, False, True),
        (Sensitivity.restricted, True, False, False),
        (Sensitivity.restricted, True, True, True),
    ],
)
def test_may_reveal(
    sensitivity: Sensitivity, signed_in: bool, entitled: bool, expected: bool
) -> None:
    assert may_reveal(sensitivity, signed_in=signed_in, entitled=entitled) is expected


def test_hand_checked_id_numbers() -> None:
    # GB 11643-1999's own examples; the second has a right checksum but an 1880 birth date.
    assert valid_id_number("11010519491231002X")
    assert id_check_char("44052418800101001") == "4"
    assert not valid_id_number("440524188001010014")
    assert valid_id_number("110101199003074514")
    assert valid_id_number("11010519491231002x")
    assert normalize_id_number(" 11010519491231002x ") == "11010519491231002X"


@pytest.mark.parametrize(
    "value",
    [
        "110101199003071234",  # wrong check digit
        "110105194912310021",  # wrong check digit where X belongs
        with_check("11010119900230123")[:-1] + "0",  # 30 February
        with_check("11010119900230123"),  # 30 February, right checksum
        with_check("11010119901301123"),  # month 13, right checksum
        with_check("11010121000101123"),  # born in 2100
        with_check("01010119900307123"),  # area code starts with 0
        "110101900307123",  # 15-digit first-generation number
        "11010519491231002",  # 17 digits
        "11010519491231002XX",
        "1101051949123100２X",  # a full-width digit
        "11010519491231002Y",
        "",
    ],
)
def test_invalid_id_numbers(value: str) -> None:
    assert not valid_id_number(value)


def test_birth_date_checked_against_today() -> None:
    number = with_check("11010120240601123")
    assert valid_id_number(number, today=date(2024, 6, 1))
    assert not valid_id_number(number, today=date(2024, 5, 31))


@given(
    area=st.integers(100000, 999999),
    born=st.dates(date(1900, 1, 1), date(2020, 12, 31)),
    sequence=st.integers(0, 999),
)
def test_checksum_matches_gb11643(area: int, born: date, sequence: int) -> None:
    first17 = f"{area}{born:%Y%m%d}{sequence:03d}"
    right = check_char(first17)
    assert valid_id_number(first17 + right)
    for wrong in set("0123456789X") - {right}:
        assert not valid_id_number(first17 + wrong)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812341234", True),
        ("19912341234", True),
        ("12812341234", False),
        ("1381234123", False),
        ("138123412345", False),
        ("+8613812341234", False),
        ("138 1234 1234", False),
        ("１3812341234", False),
        ("", False),
    ],
)
def test_valid_mobile(value: str, expected: bool) -> None:
    assert valid_mobile(value) is expected
