"""Building and reading envelopes: the catalog fills type and dataschema; bad input is rejected."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from contracts import (
    DataSchemaError,
    UnknownEventType,
    UnknownEventVersion,
    new_envelope,
    parse,
    parse_data,
    to_bytes,
)
from contracts.cases import CaseOverdue
from contracts.catalog import WIRE_REQUIRED
from contracts.deputies import DeputyRegistered
from contracts.scoring import PointsRecorded

TOWNSHIP = "330102001"


def deputy(**changes: Any) -> DeputyRegistered:
    """A deputy on the roster of a township, sitting at both levels."""
    fields: dict[str, Any] = {
        "deputy_id": "dep-1",
        "township": TOWNSHIP,
        "name": "王秀兰",
        "gender": "female",
        "birth_date": date(1975, 3, 8),
        "ethnicity": "汉族",
        "levels": ["township", "county"],
        "electoral_district": "第三选区",
        "term": 17,
        "status": "active",
        "aggregate_version": 1,
    }
    return DeputyRegistered.model_validate({**fields, **changes})


def wire(**changes: Any) -> dict[str, Any]:
    """The JSON of a valid envelope, as a dict to spoil."""
    envelope = new_envelope(deputy(), source="/services/deputies", correlationid="req-1")
    document: dict[str, Any] = json.loads(to_bytes(envelope))
    document.update(changes)
    return document


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def test_new_envelope_fills_type_dataschema_subject_and_township() -> None:
    when = datetime(2025, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    envelope = new_envelope(
        deputy(),
        source="/services/deputies",
        correlationid="req-1",
        causationid="cmd-9",
        id=UUID(int=7),
        time=when,
    )
    assert envelope.type == "deputies.deputy.registered"
    assert envelope.dataschema == "urn:npc-platform:event:deputies.deputy.registered:v1"
    assert envelope.subject == "dep-1"
    assert envelope.township == TOWNSHIP
    assert envelope.id == UUID(int=7)
    assert envelope.time == when
    assert envelope.time.tzinfo is UTC
    assert envelope.headers()["ce_subject"] == "dep-1"


def test_round_trip_through_bytes_gives_the_same_payload() -> None:
    data = deputy()
    envelope = new_envelope(data, source="/services/deputies", correlationid="req-1")
    parsed = parse(to_bytes(envelope))
    assert parsed.id == envelope.id
    assert parsed.time == envelope.time
    assert parse_data(parsed) == data


def test_sets_are_serialised_sorted() -> None:
    envelope = new_envelope(deputy(), source="/services/deputies", correlationid="c")
    assert json.loads(to_bytes(envelope))["data"]["levels"] == ["county", "township"]


def test_subject_and_township_must_agree_with_the_payload() -> None:
    with pytest.raises(ValueError, match="aggregate id"):
        new_envelope(deputy(), subject="dep-2", source="/s", correlationid="c")
    with pytest.raises(ValueError, match="township"):
        new_envelope(deputy(), township="330102002", source="/s", correlationid="c")
    same = new_envelope(
        deputy(), subject="dep-1", township=TOWNSHIP, source="/s", correlationid="c"
    )
    assert same.subject == "dep-1"


def test_consumers_ignore_fields_added_later() -> None:
    document = wire()
    document["data"]["favourite_colour"] = "红"
    assert parse_data(parse(encode(document))) == deputy()


@pytest.mark.parametrize("name", WIRE_REQUIRED)
def test_an_envelope_without_id_time_or_specversion_is_rejected(name: str) -> None:
    document = wire()
    del document[name]
    with pytest.raises(ValidationError, match=name):
        parse(encode(document))


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"time": "2025-03-01T08:00:00"}, "timezone"),
        ({"township": "东湖镇"}, "division code"),
        ({"township": "1"}, "division code"),
        ({"type": "Deputies.Deputy.Registered"}, "type"),
        ({"subject": ""}, "subject"),
        ({"specversion": "0.3"}, "specversion"),
        ({"id": "not-a-uuid"}, "id"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_envelopes_are_rejected(changes: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        parse(encode(wire(**changes)))


@pytest.mark.parametrize(
    "value", [b"", b"not json", b"[]", b'{"id": 1}', "\ud800".encode("utf-8", "surrogatepass")]
)
def test_garbage_is_rejected(value: bytes) -> None:
    with pytest.raises(ValidationError):
        parse(value)


def test_an_unknown_type_is_reported_as_such() -> None:
    envelope = parse(encode(wire(type="deputies.nothing.happened")))
    with pytest.raises(UnknownEventType):
        parse_data(envelope)


def test_an_unknown_major_version_is_reported_as_such() -> None:
    schema = "urn:npc-platform:event:deputies.deputy.registered:v2"
    envelope = parse(encode(wire(dataschema=schema)))
    with pytest.raises(UnknownEventVersion):
        parse_data(envelope)


@pytest.mark.parametrize(
    "schema", ["urn:npc-platform:event:cases.case.overdue:v1", "https://example.org/x", ""]
)
def test_a_dataschema_naming_something_else_is_rejected(schema: str) -> None:
    envelope = parse(encode(wire(dataschema=schema)))
    with pytest.raises(DataSchemaError):
        parse_data(envelope)


@pytest.mark.parametrize(
    "change",
    [
        {"township": "3301"},
        {"levels": []},
        {"levels": ["province"]},
        {"term": 0},
        {"gender": "unknown"},
        {"birth_date": "1975-13-01"},
        {"deputy_id": None},
    ],
)
def test_wrong_data_is_rejected(change: dict[str, Any]) -> None:
    document = wire()
    document["data"].update(change)
    with pytest.raises(ValidationError):
        parse_data(parse(encode(document)))


def test_naive_times_in_payloads_are_rejected_and_aware_ones_normalised() -> None:
    base = {
        "entry_id": "e-1",
        "deputy_id": "dep-1",
        "township": TOWNSHIP,
        "year": 2025,
        "category": "activity",
        "points": 3,
        "rule_id": "activity.inspection",
        "rule_set_version": 1,
        "source_event_id": str(UUID(int=1)),
        "source_event_type": "deputies.activity.logged",
        "occurred_on": "2025-03-01",
    }
    assert PointsRecorded.model_validate(base).points == 3.0
    overdue = {"case_id": "c-1", "township": TOWNSHIP, "unit_ids": ["u-1"], "due_on": "2025-06-30"}
    assert CaseOverdue.model_validate(overdue).round == 1
    from contracts.deputies import RosterVerified

    verified = {"township": TOWNSHIP, "verified_by": "u-9", "active_deputies": 31}
    with pytest.raises(ValidationError):
        RosterVerified.model_validate({**verified, "verified_at": "2025-03-01T08:00:00"})
    event = RosterVerified.model_validate({**verified, "verified_at": "2025-03-01T08:00:00+08:00"})
    assert event.verified_at == datetime(2025, 3, 1, 0, 0, tzinfo=UTC)
    assert event.verified_at.tzinfo is UTC


def test_payloads_are_frozen() -> None:
    with pytest.raises(ValidationError):
        deputy().name = "李四"  # type: ignore[misc]


def test_a_foreign_model_cannot_pose_as_a_catalog_type() -> None:
    class Impostor(DeputyRegistered):
        """Not in the catalog."""

    impostor = Impostor.model_validate(deputy().model_dump())
    with pytest.raises(TypeError):
        new_envelope(impostor, source="/s", correlationid="c")


def test_a_township_code_is_ascii_digits_only() -> None:
    """Full-width or Arabic-Indic digits and a trailing newline are not division codes."""
    from contracts.envelope import DIVISION_CODE

    assert DIVISION_CODE.fullmatch("990101001")
    for bad in ("990101001\n", "９９０１０１００１", "٩٩٠١٠١٠٠١", "9", "9901010010011"):
        assert not DIVISION_CODE.fullmatch(bad), bad
