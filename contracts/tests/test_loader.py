"""The packaged schemas are found by `dataschema`, resolve by `$id` in a JSON Schema validator, and envelopes validate."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from pydantic import ValidationError
from referencing import Registry, Resource

from contracts import (
    SPECS,
    UnknownEventType,
    UnknownEventVersion,
    load_asyncapi,
    load_envelope_schema,
    load_schema,
    load_schema_for,
    new_envelope,
    schema_ids,
    to_bytes,
    validate_envelope,
)
from contracts.asyncapi import document as asyncapi_document
from contracts.deputies import DeputyRegistered
from contracts.schemas import ENVELOPE_SCHEMA_ID, documents, dumps, file_name

TOWNSHIP = "330102001"


def registered() -> dict[str, Any]:
    """The wire JSON of a deputy's registration, as a dict to spoil."""
    deputy = DeputyRegistered.model_validate(
        {
            "deputy_id": "dep-1",
            "township": TOWNSHIP,
            "name": "王秀兰",
            "gender": "female",
            "birth_date": date(1975, 3, 8),
            "levels": ["township"],
            "term": 17,
            "status": "active",
            "aggregate_version": 1,
        }
    )
    envelope = new_envelope(deputy, source="/services/deputies", correlationid="req-1")
    document: dict[str, Any] = json.loads(to_bytes(envelope))
    return document


def test_every_published_version_is_found_by_its_dataschema() -> None:
    assert schema_ids() == sorted(
        {spec.dataschema for spec in SPECS.values()} | {ENVELOPE_SCHEMA_ID}
    )
    exported = documents()
    for spec in SPECS.values():
        schema = load_schema(spec.dataschema)
        assert schema["$id"] == spec.dataschema
        assert schema == exported[file_name(spec)]
        assert load_schema_for(spec.event_type, spec.version) == schema


def test_an_unknown_dataschema_is_a_lookup_error() -> None:
    with pytest.raises(UnknownEventType, match="v9"):
        load_schema("urn:npc-platform:event:cases.case.closed:v9")
    with pytest.raises(UnknownEventType):
        load_schema_for("cases.case.vanished", 1)


def test_a_loaded_schema_is_the_caller_s_own_copy() -> None:
    load_envelope_schema()["properties"].clear()
    assert "data" in load_envelope_schema()["properties"]


def test_the_packaged_asyncapi_document_is_the_generated_one() -> None:
    assert dumps(load_asyncapi()) == dumps(asyncapi_document())


def test_a_json_schema_validator_resolves_data_schemas_by_dataschema() -> None:
    registry: Registry[Any] = Registry().with_resources(
        (uri, Resource.from_contents(load_schema(uri))) for uri in schema_ids()
    )

    def errors(envelope: dict[str, Any]) -> list[str]:
        checks = (
            ({"$ref": ENVELOPE_SCHEMA_ID}, envelope),
            ({"$ref": envelope["dataschema"]}, envelope["data"]),  # no file name anywhere
        )
        return [
            error.message
            for schema, instance in checks
            for error in jsonschema.Draft202012Validator(schema, registry=registry).iter_errors(
                instance
            )
        ]

    good = registered()
    assert errors(good) == []
    assert errors({**good, "data": {**good["data"], "gender": "robot"}})  # an enum via $defs
    assert errors({**good, "township": "townhall"})
    assert errors({**good, "data": {**good["data"], "term": "seventeen"}})


def test_validate_envelope_gives_the_catalog_model() -> None:
    good = registered()
    envelope = validate_envelope(json.dumps(good, ensure_ascii=False))
    assert isinstance(envelope.data, DeputyRegistered)
    assert envelope.data.name == "王秀兰"
    assert json.loads(to_bytes(envelope)) == good
    assert validate_envelope(to_bytes(envelope)) == envelope


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"data": {"deputy_id": "dep-1"}}, ValidationError),
        ({"id": "not-a-uuid"}, ValidationError),
        (
            {"dataschema": "urn:npc-platform:event:deputies.deputy.registered:v2"},
            UnknownEventVersion,
        ),
        ({"type": "deputies.deputy.adopted"}, UnknownEventType),
    ],
)
def test_validate_envelope_refuses_what_the_contract_does_not_admit(
    change: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        validate_envelope(json.dumps({**registered(), **change}))
