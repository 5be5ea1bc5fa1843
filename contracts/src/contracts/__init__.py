"""Platform event contract: envelope, topics, the v1 event catalog, its helpers and packaged schemas."""

from contracts.catalog import (
    CATALOG,
    SPECS,
    DataSchemaError,
    EventSpec,
    UnknownEventType,
    UnknownEventVersion,
    model_for,
    new_envelope,
    parse,
    parse_data,
    spec_for,
    to_bytes,
    version_of,
)
from contracts.common import EventData
from contracts.envelope import Envelope, RawEnvelope, schema_uri
from contracts.loader import (
    load_asyncapi,
    load_envelope_schema,
    load_schema,
    load_schema_for,
    schema_ids,
    validate_envelope,
)

__all__ = [
    "CATALOG",
    "SPECS",
    "DataSchemaError",
    "Envelope",
    "EventData",
    "EventSpec",
    "RawEnvelope",
    "UnknownEventType",
    "UnknownEventVersion",
    "load_asyncapi",
    "load_envelope_schema",
    "load_schema",
    "load_schema_for",
    "model_for",
    "new_envelope",
    "parse",
    "parse_data",
    "schema_ids",
    "schema_uri",
    "spec_for",
    "to_bytes",
    "validate_envelope",
    "version_of",
]
