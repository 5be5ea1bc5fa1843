"""Request bodies of the demo county for tests: townships, stations, deputies, activities."""

from __future__ import annotations

import functools
from typing import Any

from faker import Faker

from deputies.testing.people import resident_id

TOWNSHIPS = {
    "990101001": ("东湖镇", "town"),
    "990101002": ("石桥镇", "town"),
    "990101003": ("柳溪镇", "town"),
    "990101004": ("城关街道", "subdistrict"),
}


SEED = 990101


@functools.cache
def _fake() -> Faker:
    fake = Faker("zh_CN")
    fake.seed_instance(SEED)  # the same people in every run: a failure can be replayed
    return fake


def reseed() -> None:
    """Start the generated people over from the seed (the same sequence as a fresh run)."""
    _fake().seed_instance(SEED)


def township(code: str) -> dict[str, Any]:
    """Return the registration body of a demo township."""
    name, kind = TOWNSHIPS[code]
    return {"code": code, "name": name, "kind": kind}


def station(code: str, name: str = "人大代表之家") -> dict[str, Any]:
    """Return a station body."""
    return {
        "township": code,
        "name": f"{TOWNSHIPS[code][0]}{name}",
        "kind": "home",
        "address": f"青山县{TOWNSHIPS[code][0]}政府一楼",
        "schedule": "每单月15日上午",
        "content": "代表名单与接待安排",
    }


def id_number() -> str:
    """Return a checksum-valid resident ID number (GB 11643)."""
    return resident_id(_fake(), min_age=30, max_age=60)


def deputy(code: str, **overrides: Any) -> dict[str, Any]:
    """Return a deputy body for a township (township level unless the township is a subdistrict)."""
    body: dict[str, Any] = {
        "township": code,
        "name": _fake().name(),
        "gender": "female",
        "levels": ["county"] if TOWNSHIPS[code][1] == "subdistrict" else ["township"],
        "term": 18,
        "elected_on": "2021-12-28",
        "birth_date": "1978-05-04",
        "ethnicity": "汉族",
        "party": "中共党员",
        "occupation": "青山县第一中学教师",
        "sector": "教育",
        "electoral_district": "第3选区",
        "deputy_group": "第一代表小组",
        "phone": "13812345678",
        "id_number": id_number(),
        "address": f"青山县{TOWNSHIPS[code][0]}新华村3组12号",
    }
    body.update(overrides)
    return body


def activity(code: str, attendance: dict[str, str], **overrides: Any) -> dict[str, Any]:
    """Return an activity body with attendance by deputy id."""
    body: dict[str, Any] = {
        "township": code,
        "type": "inspection",
        "title": "农村公路养护专题视察",
        "levels": ["township"],
        "held_on": "2026-05-12",
        "duration_hours": 4,
        "attendance": [{"deputy_id": d, "mark": m} for d, m in attendance.items()],
    }
    body.update(overrides)
    return body
