"""Realistic request bodies for tests, the bench and the demo."""

from __future__ import annotations

from typing import Any

from cases.testing.harness import TOWNSHIP

UNITS = (
    ("traffic", "县交通运输局"),
    ("water", "县水利局"),
    ("education", "县教育局"),
    ("housing", "县住房和城乡建设局"),
)


def unit(
    unit_id: str = "traffic", name: str = "县交通运输局", scope: str = "990101"
) -> dict[str, Any]:
    """A handling unit to register."""
    return {"unit_id": unit_id, "name": name, "scope": scope}


def suggestion(
    deputy_id: str = "dep-1",
    township: str = TOWNSHIP,
    *,
    co: tuple[str, ...] = (),
    title: str = "关于拓宽青石村至镇区道路的建议",
    content: str = "青石村至镇区道路狭窄，会车困难，雨天积水严重，建议拓宽改造并完善排水设施。",
    category: str = "交通",
) -> dict[str, Any]:
    """A deputy's suggestion about a village road."""
    return {
        "township": township,
        "title": title,
        "content": content,
        "category": category,
        "lead_deputy_id": deputy_id,
        "co_deputy_ids": list(co),
    }


def opinion(deputy_id: str = "dep-1", township: str = TOWNSHIP) -> dict[str, Any]:
    """A constituent's opinion received on a reception day, with the constituent's contacts."""
    return {
        "township": township,
        "title": "村口路灯损坏",
        "content": "村口三盏路灯损坏已两个月，夜间出行不便，请求尽快修复。",
        "category": "民生",
        "receiving_deputy_ids": [deputy_id],
        "origin": "reception_day",
        "constituent": {
            "name": "王小明",
            "phone": "13812345678",
            "address": "浙江省杭州市西湖区青石村12号",
        },
    }
