"""Restricted fields in responses: clear for the entitled, masked for everyone else."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from deputies.views import deputy_dict
from kit.principal import Principal, Role

OWN = "990101001"
ID_NUMBER = "11010519491231002X"


def row(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": "d1",
        "township": OWN,
        "name": "张伟",
        "gender": "male",
        "birth_date": date(1970, 1, 1),
        "ethnicity": "汉族",
        "party": "群众",
        "occupation": "教师",
        "sector": "教育",
        "level_county": False,
        "level_township": True,
        "suspended_county": False,
        "suspended_township": False,
        "electoral_district": "第1选区",
        "deputy_group": "第一小组",
        "station_id": None,
        "term": 18,
        "elected_by": "general",
        "status": "active",
        "status_reason": "elected",
        "status_since": date(2021, 12, 28),
        "elected_on": date(2021, 12, 28),
        "version": 1,
        "phone": "13812345678",
        "id_number": ID_NUMBER,
        "address": "青山县东湖镇新华村3组12号",
    }
    values.update(overrides)
    return values


def viewer(role: str, scope: str = "990101", deputy_id: str | None = None) -> Principal:
    return Principal(subject="u", roles=frozenset({Role(role)}), scope=scope, deputy_id=deputy_id)


@pytest.mark.parametrize(
    "who",
    [viewer("county_admin"), viewer("township_staff", OWN), viewer("deputy", OWN, "d1")],
)
def test_entitled_viewers_see_contact_data_in_clear(who: Principal) -> None:
    item, shown = deputy_dict(row(), who)
    assert (item["phone"], item["id_number"]) == ("13812345678", ID_NUMBER)
    assert item["birth_date"] == date(1970, 1, 1)
    assert shown
    assert item["contact_masked"] is False


@pytest.mark.parametrize(
    "who",
    [viewer("county_leader"), viewer("auditor"), viewer("township_staff", "990101002")],
)
def test_everyone_else_sees_masks(who: Principal) -> None:
    item, shown = deputy_dict(row(), who)
    assert item["phone"] == "138****5678"
    assert item["id_number"].startswith("110105")
    assert item["id_number"].endswith("002X")
    assert "19491231" not in item["id_number"]
    assert "新华村" not in item["address"]
    assert item["birth_date"] is None
    assert item["birth_year"] == 1970
    assert not shown
    assert item["contact_masked"] is True


def test_missing_contact_data_stays_missing_and_is_no_restricted_read() -> None:
    item, shown = deputy_dict(row(phone=None, id_number=None, address=None), viewer("county_admin"))
    assert (item["phone"], item["id_number"], item["address"]) == (None, None, None)
    assert not shown
