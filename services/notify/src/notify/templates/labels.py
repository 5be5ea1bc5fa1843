"""Chinese labels of the contract vocabularies and the template filters that use them (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final

from kit.clock import CHINA

LABELS: Final[dict[str, dict[str, str]]] = {
    "CaseKind": {"suggestion": "代表建议", "opinion": "选民意见"},
    "HandlingRole": {"lead": "主办", "co": "会办"},
    "ReplyClass": {
        "A": "A类（已解决或基本解决）",
        "B": "B类（正在解决）",
        "C": "C类（列入计划或暂缓解决）",
        "D": "D类（留作参考）",
    },
    "Satisfaction": {
        "satisfied": "满意",
        "basically_satisfied": "基本满意",
        "unsatisfied": "不满意",
    },
    "EscalationLevel": {
        "township_chair": "镇街人大主席",
        "county_committee": "县人大常委会代表工作委员会",
        "vice_chair": "分管副主任",
    },
    "ReopenReason": {"unsatisfied": "代表不满意", "instruction": "领导批示", "other": "其他原因"},
    "Clock": {
        "suggestion": "三个月",
        "complex_suggestion": "六个月",
        "rehandling": "一个月",
        "opinion": "镇街规定期限",
    },
    "ActivityType": {
        "training": "培训",
        "reception_day": "接待选民日",
        "inspection": "视察",
        "research": "调研",
        "law_inspection": "执法检查",
        "work_evaluation": "工作评议",
        "congress_session": "人代会",
        "deputy_group": "代表小组活动",
        "report_to_voters": "述职",
        "public_welfare": "公益活动",
        "other": "其他活动",
    },
    "Level": {"county": "县级", "township": "镇级"},
    "DeputyGrade": {"excellent": "优秀", "competent": "称职", "not_competent": "不称职"},
    "AssessmentGrade": {"excellent": "优秀", "qualified": "合格", "criticised": "通报"},
    "ContestOutcome": {
        "upheld": "异议成立",
        "corrected": "异议成立（按更正记录计分）",
        "rejected": "异议不成立",
    },
    "PointsCategory": {
        "base": "基础分",
        "activity": "履职活动",
        "attendance": "出席",
        "unexcused_absence": "无故缺席",
        "suggestion": "提出建议",
        "reply": "建议办成",
        "key_chase": "重点督办",
        "other": "其他",
    },
    "ReviewStage": {"first_review": "初审", "recheck": "复核", "contest": "异议"},
    "ReviewDecision": {"approved": "通过", "rejected": "未通过", "contested": "有异议"},
    "TopicOrigin": {"plan": "年度监督计划", "case_cluster": "同类建议意见"},
}
"""Label of each member, by vocabulary class name and member value."""

ELLIPSIS = "…"


def zh(value: Any) -> str:
    """Return the Chinese label of a vocabulary member (its value when none is known)."""
    if isinstance(value, StrEnum):
        return LABELS.get(type(value).__name__, {}).get(value.value, value.value)
    return str(value)


def clip(text: Any, limit: int) -> str:
    """Return text cut to ``limit`` characters, the last one an ellipsis when cut."""
    value = " ".join(str(text).split())
    return value if len(value) <= limit else value[: max(limit - 1, 0)] + ELLIPSIS


def day(value: date | datetime) -> str:
    """Return a China day as ``2025年3月3日`` (an instant is read in China time)."""
    if isinstance(value, datetime):
        value = value.astimezone(CHINA).date()
    return f"{value.year}年{value.month}月{value.day}日"


def moment(value: datetime) -> str:
    """Return an instant in China time as ``2025年3月3日 09:30``."""
    local = value.astimezone(CHINA)
    return f"{day(local)} {local:%H:%M}"


def points(value: float) -> str:
    """Return points without a needless ``.0`` (``3``, ``-1.5``)."""
    return f"{value:g}"


def joined(values: Iterable[Any], sep: str = "、") -> str:
    """Return values joined with the Chinese enumeration comma."""
    return sep.join(str(v) for v in values)


FILTERS: Final = {
    "zh": zh,
    "clip": clip,
    "day": day,
    "moment": moment,
    "points": points,
    "joined": joined,
}
