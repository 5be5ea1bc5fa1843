"""A sample payload of every event type notify routes: for checking templates at start-up and previews.

``typical`` is what a real event looks like; ``longest`` fills every bounded text to its maximum
length and every tuple to many members, so a template that would overflow a channel shows it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Final

from annotated_types import MaxLen
from pydantic import BaseModel

from contracts.catalog import model_for
from contracts.common import EventData

TOWNSHIP = "330102001"
CASE = "C-2025-000123"
TITLE = "关于东湖镇老街排水管网改造的建议"
WHEN = datetime(2025, 3, 3, 1, 30, tzinfo=UTC)
_CASE: Final = {"case_id": CASE, "township": TOWNSHIP}
_UNITS: Final = ("U-jtj", "U-zjj")
_HANDLERS: Final = [
    {"unit_id": "U-jtj", "name": "县交通运输局", "role": "lead"},
    {"unit_id": "U-zjj", "name": "县住房和城乡建设局", "role": "co"},
]

TYPICAL: Final[dict[str, dict[str, Any]]] = {
    "cases.suggestion.submitted": {
        **_CASE, "title": TITLE, "category": "城乡建设", "level": "township",
        "timing": "between_sessions", "lead_deputy_id": "D-001", "submitted_on": "2025-03-01",
    },
    "cases.opinion.submitted": {
        **_CASE, "title": "老街路灯不亮", "category": "民生", "origin": "reception_day",
        "receiving_deputy_ids": ["D-001"], "received_on": "2025-03-01",
    },
    "cases.case.assigned": {
        **_CASE, "kind": "suggestion", "title": TITLE, "deputy_ids": ["D-001", "D-002"],
        "units": _HANDLERS, "assigned_on": "2025-03-03", "due_on": "2025-06-03",
        "clock": "suggestion",
    },
    "cases.case.key_chase_designated": {
        **_CASE, "deputy_ids": ["D-001"], "designated_by": "S-county-1",
        "designated_on": "2025-04-01", "on_behalf_of": "县人大常委会主任",
        "meeting_ref": "主任会议纪要〔2025〕7号", "decided_on": "2025-03-28",
    },
    "cases.case.returned": {
        **_CASE, "unit_id": "U-zjj", "role": "co", "reason": "不属于本单位职责范围",
        "returned_on": "2025-03-05",
    },
    "cases.case.extension_granted": {
        **_CASE, "unit_id": "U-jtj", "previous_due_on": "2025-06-03", "due_on": "2025-09-03",
        "reason": "需列入下一年度预算", "granted_by": "S-county-1",
    },
    "cases.case.extension_applied": {
        **_CASE, "unit_id": "U-jtj", "due_on": "2025-06-03", "requested_due_on": "2025-09-03",
        "reason": "需列入下一年度预算", "applied_by": "U-jtj-user", "applied_on": "2025-05-06",
    },
    "cases.case.extension_refused": {
        **_CASE, "unit_id": "U-jtj", "due_on": "2025-06-03", "requested_due_on": "2025-09-03",
        "reason": "理由不充分，请按期答复", "refused_by": "S-county-1", "refused_on": "2025-05-08",
    },
    "cases.case.co_opinion_recorded": {
        **_CASE, "unit_id": "U-zjj", "lead_unit_id": "U-jtj", "recorded_on": "2025-04-10",
        "missing_unit_ids": [],
    },
    "cases.case.triaged": {
        **_CASE, "kind": "suggestion", "outcome": "merged", "merged_into": "C-2025-000099",
        "deputy_ids": ["D-001", "D-002"],
    },
    "cases.case.replied": {
        **_CASE, "kind": "opinion", "unit_id": "U-jtj", "reply_class": "B",
        "replied_on": "2025-05-20", "due_on": "2025-06-03", "on_time": True,
        "deputy_ids": ["D-001"], "follow_up_due_on": "2025-12-31",
    },
    "cases.case.feedback_given": {
        **_CASE, "deputy_id": "D-001", "process": "satisfied", "result": "unsatisfied",
    },
    "cases.case.reopened": {
        **_CASE, "reason": "unsatisfied", "reopened_on": "2025-05-25", "due_on": "2025-06-25",
        "round": 2,
    },
    "cases.case.closed": {
        **_CASE, "kind": "suggestion", "reply_class": "A", "satisfaction": "satisfied",
        "solved": True, "on_time": True, "deputy_ids": ["D-001"], "closed_on": "2025-06-01",
    },
    "cases.case.warning": {**_CASE, "threshold": 75, "unit_ids": _UNITS, "due_on": "2025-06-03"},
    "cases.case.overdue": {**_CASE, "unit_ids": _UNITS, "due_on": "2025-06-03"},
    "cases.case.reminded": {
        **_CASE, "unit_ids": _UNITS, "due_on": "2025-06-03", "days_overdue": 3, "reminder": 2,
    },
    "cases.case.escalated": {
        **_CASE, "level": "county_committee", "unit_ids": _UNITS, "due_on": "2025-06-03",
        "days_overdue": 5,
    },
    "cases.supervision.topic_opened": {
        "topic_id": "T-2025-01", "township": TOWNSHIP, "title": "农村饮用水安全",
        "origin": "plan", "year": 2025, "problems": ["水源地保护不到位"],
        "opened_on": "2025-03-10",
    },
    "cases.case.instruction_given": {
        **_CASE, "instruction_id": "I-2025-01", "digest_id": "V-2025-03", "leader": "县人大常委会主任",
        "text": "请县交通运输局牵头，会同住建局于汛期前完成老街排水改造。", "outcome": "key_chase",
        "unit_ids": _UNITS, "deputy_ids": ["D-001", "D-002"], "given_on": "2025-04-02",
    },
    "cases.case.assignment_chased": {
        **_CASE, "notice": "warning", "owed_by": TOWNSHIP, "received_on": "2025-03-03",
        "assign_by": "2025-03-12",
    },
    "cases.case.due_date_recomputed": {
        **_CASE, "clock": "reply", "previous_due_on": "2025-06-03", "due_on": "2025-06-05",
        "calendar_year": 2025,
    },
    "cases.supervision.measure_added": {
        "topic_id": "T-2025-01", "township": TOWNSHIP, "added_on": "2025-04-01",
        "measure": {
            "measure_id": "M-3", "description": "划定水源地保护范围并设立警示标志",
            "owner_unit_id": "U-jtj", "due_on": "2025-09-30",
        },
    },
    "cases.supervision.measure_withdrawn": {
        "topic_id": "T-2025-01", "township": TOWNSHIP, "measure_id": "M-3",
        "reason": "与第2项措施重复", "withdrawn_on": "2025-04-03",
    },
    "cases.supervision.report_submitted": {
        "topic_id": "T-2025-01", "township": TOWNSHIP, "report_version": 1,
        "submitted_on": "2025-10-08",
    },
    "cases.supervision.vote_recorded": {
        "topic_id": "T-2025-01", "township": TOWNSHIP, "report_version": 1,
        "vote": {"satisfied": 8, "basically_satisfied": 2, "unsatisfied": 5}, "passed": True,
        "held_on": "2025-10-20", "recorded_by": "S-county-1",
    },
    "deputies.roster.stale": {
        "township": TOWNSHIP, "last_verified_at": "2024-09-01T02:00:00Z",
        "stale_since": "2025-03-01", "period": 1, "threshold_days": 180,
    },
    "deputies.station.stale": {
        "station_id": "S-dh-01", "township": TOWNSHIP,
        "content_updated_at": "2024-12-01T02:00:00Z", "stale_since": "2025-03-01", "period": 1,
        "threshold_days": 90,
    },
    "deputies.activity.scheduled": {
        "activity_id": "A-2025-07", "township": TOWNSHIP, "activity_type": "reception_day",
        "title": "三月份代表接待选民日", "levels": ["township"],
        "starts_at": "2025-03-15T01:00:00Z", "station_id": "S-dh-01",
        "invited_deputy_ids": ["D-001", "D-002"],
        "ends_at": "2025-03-15T03:00:00Z", "aggregate_version": 1,
    },
    "deputies.activity.rescheduled": {
        "activity_id": "A-2025-07", "township": TOWNSHIP, "activity_type": "reception_day",
        "title": "三月份代表接待选民日", "levels": ["township"],
        "starts_at": "2025-03-16T01:00:00Z", "ends_at": "2025-03-16T03:00:00Z",
        "previous_starts_at": "2025-03-15T01:00:00Z", "station_id": "S-dh-01",
        "invited_deputy_ids": ["D-001", "D-002"], "reason": "与镇党委会议时间冲突",
        "aggregate_version": 2,
    },
    "deputies.activity.plan_cancelled": {
        "activity_id": "A-2025-07", "township": TOWNSHIP, "activity_type": "reception_day",
        "title": "三月份代表接待选民日", "starts_at": "2025-03-16T01:00:00Z",
        "venue": "东湖镇政府三楼会议室", "invited_deputy_ids": ["D-001", "D-002"],
        "reason": "遇台风预警，活动取消", "aggregate_version": 3,
    },
    "deputies.mandate.termination_flagged": {
        "deputy_id": "D-009", "township": TOWNSHIP, "level": "township", "term": 18,
        "session_activity_ids": ["A-2024-01", "A-2025-01"],
    },
    "deputies.mandate.termination_flag_withdrawn": {
        "deputy_id": "D-009", "township": TOWNSHIP, "level": "township", "term": 18,
        "flag_event_id": "2f0c8f8e-5a3b-4c1d-9e2f-0a1b2c3d4e5f",
        "session_activity_ids": ["A-2024-01", "A-2025-01"],
        "remaining_session_activity_ids": ["A-2025-01"],
    },
    "scoring.points.recorded": {
        "entry_id": "E-1", "deputy_id": "D-001", "township": TOWNSHIP, "year": 2025,
        "category": "suggestion", "points": 3, "rule_id": "R-suggestion", "rule_set_version": 1,
        "source_event_id": "2f0c8f8e-5a3b-4c1d-9e2f-0a1b2c3d4e5f",
        "source_event_type": "cases.suggestion.submitted", "occurred_on": "2025-03-01",
    },
    "scoring.points.reviewed": {
        "entry_id": "E-1", "deputy_id": "D-001", "township": TOWNSHIP, "stage": "first_review",
        "decision": "rejected", "reviewer_id": "S-dh-1", "reason": "同一活动重复登记",
    },
    "scoring.grade.changed": {
        "deputy_id": "D-001", "township": TOWNSHIP, "year": 2025, "grade": "excellent",
        "previous_grade": "competent", "total": 86.5,
    },
    "scoring.contest.resolved": {
        "entry_id": "E-1", "deputy_id": "D-001", "township": TOWNSHIP, "outcome": "rejected",
        "explanation": "该次活动已按到会记录计分，无重复。", "contest_reason": "漏记一次调研",
        "resolver_id": "S-county-1",
    },
    "scoring.score.published": {
        "publication_id": "P-2025-Q1", "township": TOWNSHIP, "period_start": "2025-01-01",
        "period_end": "2025-03-31", "period_label": "2025-Q1", "deputy_ids": ["D-001", "D-002"],
    },
    "scoring.assessment.published": {
        "assessment_id": "AS-2025", "township": TOWNSHIP, "county": "330102", "year": 2025,
        "total": 91.5, "grade": "excellent", "rank": 2, "ranked": 12, "solved_rate": 0.68,
    },
}  # fmt: skip
"""A typical payload per routed event type, as JSON-like data."""


def typical(event_type: str) -> EventData:
    """Return a typical payload of an event type."""
    model = model_for(event_type)
    if model is None or event_type not in TYPICAL:
        raise KeyError(f"no sample of {event_type!r}")
    return model.model_validate(TYPICAL[event_type])


def _stretch(model: BaseModel) -> dict[str, Any]:
    data = model.model_dump()
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        limit = next((m.max_length for m in info.metadata if isinstance(m, MaxLen)), None)
        if isinstance(value, str) and limit and not name.endswith(("_id", "_label")):
            data[name] = ("长" * limit)[:limit] if name != "township" else value
        elif isinstance(value, tuple) and value and isinstance(value[0], str):
            data[name] = tuple(f"{value[0]}-{n}" for n in range(50))
        elif isinstance(value, BaseModel):
            data[name] = _stretch(value)
    return data


def longest(event_type: str) -> EventData:
    """Return a payload of an event type with every bounded text at its maximum length."""
    sample = typical(event_type)
    return type(sample).model_validate(_stretch(sample))


def sample_day() -> date:
    """Return the China day samples are rendered for (digest previews)."""
    return date(2025, 3, 3)
