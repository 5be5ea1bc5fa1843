"""JSON Schema documents of the contract: one per event type and version, and the envelope."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from contracts.catalog import SPECS, WIRE_REQUIRED, EventSpec
from contracts.envelope import DIVISION_CODE, RawEnvelope

ENVELOPE_FILE = "envelope.v1.json"
#: `$id` of the envelope's schema (an event's data schema has its `dataschema` URI as `$id`).
ENVELOPE_SCHEMA_ID = "urn:npc-platform:envelope:v1"
#: The JSON Schema dialect pydantic generates.
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def dumps(document: Mapping[str, Any]) -> str:
    """Render a document the way it is committed: sorted keys, 2-space indent, final newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def file_name(spec: EventSpec) -> str:
    """Return the committed file name of an event type's schema, e.g. `cases.case.overdue.v1.json`."""
    return f"{spec.event_type}.v{spec.version}.json"


def event_schema(spec: EventSpec) -> dict[str, Any]:
    """Return the JSON Schema of an event's `data` (validation mode, as consumers read it)."""
    return spec.model.model_json_schema()


def envelope_schema() -> dict[str, Any]:
    """Return the JSON Schema of the envelope as it is on the wire.

    The model gives `id`, `time` and `specversion` defaults for producers, and checks the township
    code in a validator; on the wire those three are required and the code has a pattern.
    """
    schema = RawEnvelope.model_json_schema()
    schema["title"] = "Envelope"
    schema["description"] = "One domain event on Kafka: CloudEvents 1.0, structured mode."
    schema["required"] = sorted({*schema["required"], *WIRE_REQUIRED})
    schema["properties"]["township"]["pattern"] = DIVISION_CODE.pattern
    for name in WIRE_REQUIRED:
        schema["properties"][name].pop("default", None)
    return schema


def identified(schema: Mapping[str, Any], schema_id: str) -> dict[str, Any]:
    """Return a schema as a standalone document: its dialect and `$id` first, then the schema."""
    return {"$schema": DIALECT, "$id": schema_id, **schema}


def documents() -> dict[str, dict[str, Any]]:
    """Return every schema document of the contract by file name, each `$id` its `dataschema` URI."""
    docs = {
        file_name(spec): identified(event_schema(spec), spec.dataschema) for spec in SPECS.values()
    }
    docs[ENVELOPE_FILE] = identified(envelope_schema(), ENVELOPE_SCHEMA_ID)
    return docs
