"""The contract as a subscriber reads it: the packaged JSON Schemas by `$id`, the AsyncAPI document, envelopes.

Every schema's `$id` is the `dataschema` URI its events carry, so an event names its own schema:

    schema = load_schema(envelope["dataschema"])   # or load_schema_for("cases.case.closed", 1)
    envelope = validate_envelope(record.value)     # Envelope[EventData], data as its catalog model

The documents are the files `python -m contracts.export` writes into the package; they are read on
first use, not at import.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, Final

from contracts.catalog import UnknownEventType, parse, parse_data
from contracts.common import EventData
from contracts.envelope import Envelope, schema_uri
from contracts.schemas import ENVELOPE_SCHEMA_ID

_DOCUMENTS: Final = "documents"
_SCHEMAS: Final = "schemas"
_ASYNCAPI: Final = "asyncapi.json"


def _folder() -> Traversable:
    return resources.files("contracts") / _DOCUMENTS


@functools.cache
def _schemas() -> Mapping[str, Mapping[str, Any]]:
    """Read every packaged schema once, by its `$id`."""
    found: dict[str, Mapping[str, Any]] = {}
    for entry in (_folder() / _SCHEMAS).iterdir():
        if entry.name.endswith(".json"):
            document = json.loads(entry.read_text("utf-8"))
            found[document["$id"]] = document
    return found


def schema_ids() -> list[str]:
    """Return the `$id` of every packaged schema: each event type and major version, and the envelope."""
    return sorted(_schemas())


def load_schema(dataschema: str) -> dict[str, Any]:
    """Return the JSON Schema of an event's `data` whose `$id` is the envelope's `dataschema` URI."""
    try:
        return copy.deepcopy(dict(_schemas()[dataschema]))
    except KeyError:
        raise UnknownEventType(f"no schema with $id {dataschema!r} in this contract") from None


def load_schema_for(event_type: str, version: int) -> dict[str, Any]:
    """Return the JSON Schema of an event type's `data` at one major version."""
    return load_schema(schema_uri(event_type, version))


def load_envelope_schema() -> dict[str, Any]:
    """Return the JSON Schema of the envelope as it is on the wire (`data` is any object)."""
    return load_schema(ENVELOPE_SCHEMA_ID)


def load_asyncapi() -> dict[str, Any]:
    """Return the AsyncAPI 3.0 document of every topic and event of the platform."""
    document: dict[str, Any] = json.loads((_folder() / _ASYNCAPI).read_text("utf-8"))
    return document


def validate_envelope(value: bytes | str) -> Envelope[EventData]:
    """Validate a record value: the envelope, then `data` against the model its `dataschema` names.

    Raises `pydantic.ValidationError` (invalid envelope or data), `UnknownEventType` (a type this
    contract does not have: a subscriber usually skips it), `UnknownEventVersion` (a major version it
    does not have yet) or `DataSchemaError` (`dataschema` names another type).
    """
    envelope = parse(value.encode("utf-8") if isinstance(value, str) else value)
    data = parse_data(envelope)
    fields = {name: getattr(envelope, name) for name in envelope.model_fields_set}
    return Envelope(**{**fields, "data": data})
