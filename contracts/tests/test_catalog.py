"""The catalog: every required type, on its service's topic, named after the glossary."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from contracts import UnknownEventType, UnknownEventVersion, topics
from contracts.catalog import CATALOG, SPECS, build, model_for, spec_for
from contracts.common import EventData
from contracts.envelope import schema_uri
from contracts.schemas import event_schema

REQUIRED = {
    topics.DEPUTIES: [
        "deputies.township.registered",
        "deputies.station.updated",
        "deputies.deputy.registered",
        "deputies.deputy.updated",
        "deputies.deputy.status_changed",
        "deputies.roster.verified",
        "deputies.roster.stale",
        "deputies.activity.logged",
        "deputies.activity.corrected",
        "deputies.activity.cancelled",
        "deputies.highlight.reported",
        "deputies.manuscript.submitted",
        "deputies.manuscript.published",
        "deputies.mandate.termination_flagged",
    ],
    topics.CASES: [
        "cases.suggestion.submitted",
        "cases.opinion.submitted",
        "cases.case.triaged",
        "cases.case.assigned",
        "cases.case.returned",
        "cases.case.extension_granted",
        "cases.case.replied",
        "cases.case.feedback_given",
        "cases.case.reopened",
        "cases.case.closed",
        "cases.case.warning",
        "cases.case.overdue",
        "cases.case.escalated",
        "cases.supervision.topic_opened",
        "cases.supervision.followup_logged",
        "cases.supervision.topic_closed",
        "cases.digest.published",
    ],
    topics.SCORING: [
        "scoring.points.recorded",
        "scoring.points.reviewed",
        "scoring.score.changed",
        "scoring.grade.changed",
        "scoring.assessment.published",
    ],
    topics.NOTIFY: ["notify.notification.sent", "notify.notification.failed"],
}
#: Property names that would carry restricted personal data (PIPL): never in an event.
RESTRICTED = {
    "phone",
    "mobile",
    "telephone",
    "id_number",
    "id_card",
    "address",
    "home_address",
    "email",
}


@pytest.mark.parametrize(
    ("topic", "event_type"), [(t, e) for t, types in REQUIRED.items() for e in types]
)
def test_every_required_type_is_in_the_catalog_on_its_topic(topic: str, event_type: str) -> None:
    spec = CATALOG[event_type]
    assert spec.topic == topic
    assert spec.version == 1
    assert model_for(event_type) is spec.model


@pytest.mark.parametrize("spec", list(SPECS.values()), ids=lambda s: f"{s.event_type}.v{s.version}")
def test_every_spec_is_consistent(spec: Any) -> None:
    model = spec.model
    short = spec.event_type.split(".", 1)[1]
    camel = "".join(word.title() for word in short.replace(".", "_").split("_"))
    assert model.__name__ == camel + ("" if spec.version == 1 else f"V{spec.version}")
    assert spec.event_type == model.EVENT_TYPE
    assert model.__doc__
    assert "\n" not in model.__doc__.strip()
    assert spec.topic == topics.for_event_type(spec.event_type)
    assert spec.dataschema == schema_uri(spec.event_type, spec.version)
    assert model.model_config.get("frozen") is True
    assert model.model_config.get("extra") == "ignore"
    assert spec.subject_field in model.model_fields
    assert spec.aggregate


@pytest.mark.parametrize("spec", list(SPECS.values()), ids=lambda s: s.event_type)
def test_every_event_carries_its_scope_as_a_division_code(spec: Any) -> None:
    schema = event_schema(spec)
    scope = schema["properties"][spec.scope_field]
    if spec.scope_field == "township":
        assert scope["pattern"] == "^[0-9]{9}$"
        assert spec.scope_field in schema["required"]
    else:
        assert scope["pattern"] == "^[0-9]{2,12}$"


def _property_names(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        properties = node.get("properties")
        if isinstance(properties, Mapping):
            yield from properties
        for value in node.values():
            yield from _property_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from _property_names(value)


@pytest.mark.parametrize("spec", list(SPECS.values()), ids=lambda s: s.event_type)
def test_no_restricted_personal_data_travels_in_events(spec: Any) -> None:
    names = set(_property_names(event_schema(spec)))
    assert not names & RESTRICTED


def test_every_field_is_described() -> None:
    undescribed = []
    for spec in SPECS.values():
        schema = event_schema(spec)
        defs = schema.get("$defs", {})
        for name, prop in schema["properties"].items():
            target = defs.get(prop.get("$ref", "").rsplit("/", 1)[-1], {})
            if "description" not in prop and "description" not in target:
                undescribed.append(f"{spec.event_type}.{name}")
    assert undescribed == []


def test_unknown_types_and_versions_are_reported() -> None:
    assert model_for("deputies.nothing.happened") is None
    assert model_for("deputies.deputy.registered", 9) is None
    with pytest.raises(UnknownEventType):
        spec_for("deputies.nothing.happened")
    with pytest.raises(UnknownEventVersion):
        spec_for("deputies.deputy.registered", 2)


class _Stray(EventData):
    """An event filed under the wrong service."""

    EVENT_TYPE = "cases.stray.filed"
    AGGREGATE = "stray"
    SUBJECT = "stray_id"

    stray_id: str
    township: str


class _StrayV2(_Stray):
    """The same type again, as a second major version."""

    VERSION = 2


def test_build_rejects_a_type_under_another_service_and_duplicates() -> None:
    with pytest.raises(ValueError, match="not a deputies event type"):
        build({"deputies": [_Stray]})
    with pytest.raises(ValueError, match="defined twice"):
        build({"cases": [_Stray, _Stray]})
    specs = build({"cases": [_Stray, _StrayV2]})
    assert sorted(specs) == [("cases.stray.filed", 1), ("cases.stray.filed", 2)]
