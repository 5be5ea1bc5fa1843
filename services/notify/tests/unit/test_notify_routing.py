"""Routing: who hears about each event type, when, with which template; the table fits the catalog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, strategies as st

from contracts.catalog import CATALOG, model_for
from contracts.vocabulary import RecipientKind as K
from notify.domain.directory import MemoryDirectory, Office, Subject, SubjectKind
from notify.domain.model import Channel, Recipient, RecipientRef, Timing
from notify.domain.routes import DEFAULT_ROUTES, SILENT, RoutesError, parse_routes
from notify.domain.routing import Event, check_table, route_event
from notify.templates.samples import TOWNSHIP, TYPICAL, typical

MODELS = {t: spec.model for t, spec in CATALOG.items()}
EVENT_ID = UUID("00000000-0000-4000-8000-000000000001")
AT = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)


def person(kind: K, rid: str) -> Recipient:
    """Return a recipient with an e-mail address."""
    return Recipient(
        RecipientRef(kind, rid), f"name of {rid}", TOWNSHIP,
        MappingProxyType({Channel.email: f"{rid}@example.cn"}),
    )  # fmt: skip


PEOPLE = [
    person(K.handling_unit, "U-jtj"),
    person(K.handling_unit, "U-zjj"),
    person(K.deputy, "D-001"),
    person(K.deputy, "D-002"),
    person(K.staff, "S-staff"),
    person(K.staff, "S-chair"),
    person(K.staff, "S-committee"),
    person(K.staff, "S-county"),
    person(K.staff, "S-vice"),
    person(K.staff, "S-other"),
]
OTHER_TOWNSHIP = "330102002"
OFFICES = {
    (Office.township_staff, TOWNSHIP): [RecipientRef(K.staff, "S-staff")],
    (Office.township_chair, TOWNSHIP): [RecipientRef(K.staff, "S-chair")],
    (Office.county_committee, "330102"): [RecipientRef(K.staff, "S-committee")],
    (Office.county_staff, "330102"): [RecipientRef(K.staff, "S-county")],
    (Office.vice_chair, "330102"): [RecipientRef(K.staff, "S-vice")],
    (Office.township_staff, OTHER_TOWNSHIP): [RecipientRef(K.staff, "S-other")],
}
SUBJECTS = [
    Subject(SubjectKind.case, "C-2025-000123", TOWNSHIP, "标题", "U-jtj", ("D-001", "D-002")),
    Subject(SubjectKind.measure, "M-3", TOWNSHIP, "划定水源地保护范围", "U-zjj"),
]
DIRECTORY = MemoryDirectory(PEOPLE, OFFICES, SUBJECTS)


def event(event_type: str, **changes: Any) -> Event:
    """Return the typical event of a type, with some fields changed."""
    model = model_for(event_type)
    assert model is not None
    return Event(EVENT_ID, event_type, AT, model.model_validate({**TYPICAL[event_type], **changes}))


def heard(ev: Event) -> list[tuple[str, str, Timing, bool]]:
    """Return (recipient id, template, timing, urgent) of every notice of an event."""
    routed = route_event(ev, DEFAULT_ROUTES, DIRECTORY)
    assert routed.unresolved == ()
    return [(n.recipient.ref.id, n.template, n.timing, n.urgent) for n in routed.notices]


W, N, D = Timing.working_hours, Timing.now, Timing.digest

CASES = [
    ("cases.case.assigned", {}, [
        ("U-jtj", "cases.case.assigned", W, False),
        ("U-zjj", "cases.case.assigned.co", W, False),
        ("D-001", "cases.case.assigned.deputy", D, False),
        ("D-002", "cases.case.assigned.deputy", D, False),
    ]),
    ("cases.case.warning", {}, [("U-jtj", "cases.case.warning", W, False), ("U-zjj", "cases.case.warning", W, False)]),
    ("cases.case.overdue", {"unit_ids": ["U-jtj"]}, [
        ("U-jtj", "cases.case.overdue", W, False),
        ("S-staff", "cases.case.overdue.staff", D, False),
    ]),
    ("cases.case.reminded", {"unit_ids": ["U-zjj"]}, [("U-zjj", "cases.case.reminded", W, False)]),
    ("cases.case.escalated", {"level": "township_chair", "unit_ids": ["U-jtj"]}, [
        ("S-chair", "cases.case.escalated", N, True),
        ("U-jtj", "cases.case.escalated.unit", W, False),
    ]),
    ("cases.case.escalated", {"level": "county_committee", "unit_ids": ["U-jtj"]}, [
        ("S-committee", "cases.case.escalated", N, True),
        ("U-jtj", "cases.case.escalated.unit", W, False),
    ]),
    ("cases.case.escalated", {"level": "vice_chair", "unit_ids": ["U-jtj"]}, [
        ("S-vice", "cases.case.escalated", N, True),
        ("U-jtj", "cases.case.escalated.unit", W, False),
    ]),
    ("cases.case.replied", {}, [("D-001", "cases.case.replied", N, False)]),
    ("cases.case.feedback_given", {"result": "unsatisfied"}, [("S-staff", "cases.case.feedback_given", W, False)]),
    ("cases.case.feedback_given", {"result": "satisfied"}, []),
    ("cases.case.returned", {}, [("S-staff", "cases.case.returned", W, False)]),
    ("cases.suggestion.submitted", {}, [("S-staff", "cases.suggestion.submitted", D, False)]),
    ("deputies.activity.scheduled", {}, [
        ("D-001", "deputies.activity.scheduled", N, False),
        ("D-002", "deputies.activity.scheduled", N, False),
        ("S-staff", "deputies.activity.scheduled.staff", W, False),
    ]),
    ("deputies.activity.rescheduled", {}, [
        ("D-001", "deputies.activity.rescheduled", N, False),
        ("D-002", "deputies.activity.rescheduled", N, False),
        ("S-staff", "deputies.activity.rescheduled", W, False),
    ]),
    ("deputies.activity.plan_cancelled", {}, [
        ("D-001", "deputies.activity.plan_cancelled", N, False),
        ("D-002", "deputies.activity.plan_cancelled", N, False),
        ("S-staff", "deputies.activity.plan_cancelled", W, False),
    ]),
    ("deputies.roster.stale", {}, [("S-staff", "deputies.roster.stale", W, False)]),
    ("deputies.station.stale", {}, [("S-staff", "deputies.station.stale", W, False)]),
    ("deputies.mandate.termination_flagged", {}, [
        ("S-county", "deputies.mandate.termination_flagged", W, False),
        ("S-chair", "deputies.mandate.termination_flagged", W, False),
    ]),
    ("scoring.score.published", {"deputy_ids": ["D-002"]}, [("D-002", "scoring.score.published", N, False)]),
    ("scoring.grade.changed", {}, [("D-001", "scoring.grade.changed", D, False)]),
    ("scoring.contest.resolved", {}, [("D-001", "scoring.contest.resolved", N, False)]),
    ("scoring.points.reviewed", {"decision": "rejected"}, [("D-001", "scoring.points.reviewed", N, False)]),
    ("scoring.points.reviewed", {"decision": "approved"}, []),
    ("scoring.assessment.published", {}, [("S-chair", "scoring.assessment.published", W, False)]),
]  # fmt: skip

NEW_CASES = [
    ("cases.case.instruction_given", {}, [
        ("U-jtj", "cases.case.instruction_given", W, False),
        ("U-zjj", "cases.case.instruction_given", W, False),
        ("D-001", "cases.case.instruction_given.deputy", D, False),
        ("D-002", "cases.case.instruction_given.deputy", D, False),
    ]),
    ("cases.case.instruction_given", {"unit_ids": ["U-zjj"], "deputy_ids": []}, [
        ("U-zjj", "cases.case.instruction_given", W, False),
    ]),
    ("cases.case.assignment_chased", {"notice": "warning"}, [("S-staff", "cases.case.assignment_chased", W, False)]),
    ("cases.case.assignment_chased", {"notice": "overdue"}, [("S-staff", "cases.case.assignment_chased", W, False)]),
    # the office that owes the assignment hears, not the case's township
    ("cases.case.assignment_chased", {"owed_by": OTHER_TOWNSHIP}, [("S-other", "cases.case.assignment_chased", W, False)]),
    ("cases.case.due_date_recomputed", {}, [
        ("U-jtj", "cases.case.due_date_recomputed.unit", W, False),
        ("D-001", "cases.case.due_date_recomputed.deputy", D, False),
        ("D-002", "cases.case.due_date_recomputed.deputy", D, False),
        ("S-staff", "cases.case.due_date_recomputed", D, False),
    ]),
    ("cases.case.due_date_recomputed", {"clock": "assignment"}, [("S-staff", "cases.case.due_date_recomputed", D, False)]),
    ("cases.supervision.measure_added", {}, [("U-jtj", "cases.supervision.measure_added", W, False)]),
    ("cases.supervision.measure_withdrawn", {}, [("U-zjj", "cases.supervision.measure_withdrawn", W, False)]),
    ("cases.supervision.measure_added", {"measure": {**TYPICAL["cases.supervision.measure_added"]["measure"], "owner_unit_id": "U-zjj"}},
     [("U-zjj", "cases.supervision.measure_added", W, False)]),
    ("cases.supervision.report_submitted", {}, [("S-county", "cases.supervision.report_submitted", W, False)]),
    ("cases.supervision.vote_recorded", {"passed": True}, [("S-county", "cases.supervision.vote_recorded", W, False)]),
    ("cases.supervision.vote_recorded", {"passed": False}, [("S-county", "cases.supervision.vote_recorded", W, False)]),
    ("deputies.mandate.termination_flag_withdrawn", {}, [
        ("S-county", "deputies.mandate.termination_flag_withdrawn", W, False),
        ("S-chair", "deputies.mandate.termination_flag_withdrawn", W, False),
    ]),
]  # fmt: skip
"""The event types the catalog gained with deputies' corrections and cases' instructions and chasing."""

NEWLY_SILENT = [
    "deputies.attendance.recorded",
    "deputies.attendance.corrected",
    "deputies.highlight.corrected",
    "deputies.highlight.withdrawn",
    "deputies.manuscript.corrected",
    "deputies.manuscript.withdrawn",
    "deputies.deputy.status_change_scheduled",
    "deputies.deputy.status_corrected",
]


@pytest.mark.parametrize(("event_type", "changes", "expected"), CASES + NEW_CASES)
def test_who_hears_what_and_when(
    event_type: str, changes: dict[str, Any], expected: list[tuple[str, str, Timing, bool]]
) -> None:
    assert heard(event(event_type, **changes)) == expected


def test_a_reception_day_is_announced_three_days_ahead_other_activities_at_once() -> None:
    reception = route_event(event("deputies.activity.scheduled"), DEFAULT_ROUTES, DIRECTORY)
    starts = datetime(2025, 3, 15, 1, 0, tzinfo=UTC)
    invited = [n for n in reception.notices if n.template == "deputies.activity.scheduled"]
    assert {n.not_before for n in invited} == {starts - timedelta(days=3)}
    office = [n for n in reception.notices if n.template.endswith(".staff")]
    assert [n.not_before for n in office] == [None]  # the office prepares it from now on
    training = event("deputies.activity.scheduled", activity_type="training")
    assert {n.not_before for n in route_event(training, DEFAULT_ROUTES, DIRECTORY).notices} == {
        None
    }


def test_repeated_reminders_carry_a_throttle_key_per_case() -> None:
    [notice] = route_event(
        event("cases.case.reminded", unit_ids=["U-jtj"]), DEFAULT_ROUTES, DIRECTORY
    ).notices
    assert notice.throttle_key == "cases.case.reminded:C-2025-000123"
    [warning, _] = route_event(event("cases.case.warning"), DEFAULT_ROUTES, DIRECTORY).notices
    assert warning.throttle_key is None


def test_a_recipient_named_twice_hears_once() -> None:
    units = [
        {"unit_id": "U-jtj", "name": "县交通运输局", "role": "lead"},
        {"unit_id": "U-jtj", "name": "县交通运输局", "role": "co"},
    ]
    assert [n for n, *_ in heard(event("cases.case.assigned", units=units, deputy_ids=[]))] == [
        "U-jtj"
    ]


def test_unknown_recipients_and_vacant_offices_are_unresolved_not_dropped() -> None:
    ev = event("cases.case.escalated", level="vice_chair", unit_ids=["U-jtj", "U-gone"])
    routed = route_event(ev, DEFAULT_ROUTES, MemoryDirectory(PEOPLE))
    assert [n.recipient.ref.id for n in routed.notices] == ["U-jtj"]
    assert [(u.recipient, u.reason) for u in routed.unresolved] == [
        (None, "no vice_chair for 330102001"),
        (RecipientRef(K.handling_unit, "U-gone"), "not in the directory"),
    ]


def test_every_catalog_event_type_is_routed_or_deliberately_silent() -> None:
    routed = set(DEFAULT_ROUTES)
    assert routed.isdisjoint(SILENT)
    assert routed | SILENT == set(CATALOG)


@pytest.mark.parametrize("event_type", NEWLY_SILENT)
def test_the_new_record_keeping_events_are_deliberately_silent(event_type: str) -> None:
    assert event_type in CATALOG
    assert event_type in SILENT
    assert event_type not in DEFAULT_ROUTES


def test_a_case_the_projection_does_not_know_is_a_visible_failure_for_its_unit() -> None:
    routed = route_event(
        event("cases.case.due_date_recomputed", case_id="C-unknown"), DEFAULT_ROUTES, DIRECTORY
    )
    assert [n.recipient.ref.id for n in routed.notices] == ["S-staff"]
    assert [u.reason for u in routed.unresolved] == [
        "lead_unit: the case projection does not know C-unknown",
        "case_deputies: the case projection does not know C-unknown",
    ]


def test_a_withdrawn_measure_the_projection_does_not_know_is_unresolved() -> None:
    routed = route_event(
        event("cases.supervision.measure_withdrawn", measure_id="M-9"), DEFAULT_ROUTES, DIRECTORY
    )
    assert routed.notices == ()
    assert len(routed.unresolved) == 1
    assert routed.unresolved[0].recipient is None


def test_the_case_projection_names_a_case_by_its_title() -> None:
    assert DIRECTORY.title("C-2025-000123") == "标题"
    assert DIRECTORY.title("C-unknown") is None


def test_a_measure_owner_unknown_to_the_directory_is_unresolved() -> None:
    measure = {**TYPICAL["cases.supervision.measure_added"]["measure"], "owner_unit_id": "U-gone"}
    routed = route_event(
        event("cases.supervision.measure_added", measure=measure), DEFAULT_ROUTES, DIRECTORY
    )
    assert routed.notices == ()
    assert [u.recipient for u in routed.unresolved] == [RecipientRef(K.handling_unit, "U-gone")]


def test_an_owing_township_without_staff_is_unresolved() -> None:
    routed = route_event(
        event("cases.case.assignment_chased", owed_by="330102099"), DEFAULT_ROUTES, DIRECTORY
    )
    assert routed.notices == ()
    assert [u.reason for u in routed.unresolved] == ["no township_staff for 330102099"]


def test_the_default_table_fits_the_catalog_and_every_routed_type_has_a_sample() -> None:
    assert check_table(DEFAULT_ROUTES, MODELS) == []
    for event_type in DEFAULT_ROUTES:
        assert event_type == typical(event_type).EVENT_TYPE


def test_configuration_replaces_or_silences_the_routes_of_an_event_type() -> None:
    table = parse_routes(
        {
            "cases.case.warning": [
                {"audience": "township_staff", "template": "cases.case.warning", "timing": "digest"}
            ],
            "cases.case.closed": [],
        },
        MODELS,
    )
    assert heard(event("cases.case.warning")) != [("S-staff", "cases.case.warning", D, False)]
    notices = route_event(event("cases.case.warning"), table, DIRECTORY).notices
    assert [(n.recipient.ref.id, n.timing) for n in notices] == [("S-staff", D)]
    assert route_event(event("cases.case.closed"), table, DIRECTORY).notices == ()
    assert table["cases.case.assigned"] == DEFAULT_ROUTES["cases.case.assigned"]


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"cases.case.nope": []}, "cases.case.nope: not an event type of the catalog"),
        ({"cases.case.warning": [{"audience": "units", "template": "t", "field": "unit"}]},
         "cases.case.warning[0].field: 'unit' is not a field of CaseWarning"),
        ({"cases.case.warning": [{"audience": "mayor", "template": "t"}]}, "cases.case.warning[0]: ValueError"),
        ({"cases.case.warning": [{"audience": "township_staff"}]}, "cases.case.warning[0]: KeyError"),
        ({"cases.case.warning": [{"audience": "township_staff", "template": "t",
                                  "conditions": [{"field": "level", "values": ["x"]}]}]},
         "cases.case.warning[0].conditions: no field 'level'"),
        ({"cases.case.warning": [{"audience": "township_staff", "template": "t", "lead_days": 3}]},
         "cases.case.warning[0].lead: lead and lead_field go together"),
        ({"cases.supervision.measure_added": [{"audience": "units", "template": "t", "field": "measure.owner"}]},
         "cases.supervision.measure_added[0].field: 'measure.owner' is not a field of SupervisionMeasureAdded"),
        ({"cases.supervision.measure_added": [{"audience": "units", "template": "t", "field": "topic_id.x"}]},
         "cases.supervision.measure_added[0].field: 'topic_id.x' is not a field"),
        ({"cases.case.assignment_chased": [{"audience": "township_staff", "template": "t", "field": "owed"}]},
         "cases.case.assignment_chased[0].field: 'owed' is not a field of CaseAssignmentChased"),
    ],
)  # fmt: skip
def test_a_bad_routing_configuration_names_the_field(config: Any, problem: str) -> None:
    with pytest.raises(RoutesError) as raised:
        parse_routes(config, MODELS)
    assert any(p.startswith(problem) for p in raised.value.problems), raised.value.problems


def test_the_readme_table_names_every_routed_event_type() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    missing = [t for t in DEFAULT_ROUTES if f"`{t}`" not in readme]
    assert missing == []


unit_ids = st.lists(st.sampled_from(["U-jtj", "U-zjj", "U-gone"]), min_size=1, max_size=6)


@given(units=unit_ids, level=st.sampled_from(["township_chair", "county_committee", "vice_chair"]))
def test_nobody_hears_twice_about_one_event_and_nobody_named_is_lost(
    units: list[str], level: str
) -> None:
    routed = route_event(
        event("cases.case.escalated", unit_ids=units, level=level), DEFAULT_ROUTES, DIRECTORY
    )
    refs = [n.recipient.ref for n in routed.notices]
    assert len(refs) == len(set(refs))
    named = {u for u in units if u != "U-gone"}
    assert {r.id for r in refs if r.kind is K.handling_unit} == named
    assert [u.recipient for u in routed.unresolved] == (
        [RecipientRef(K.handling_unit, "U-gone")] if "U-gone" in units else []
    )
