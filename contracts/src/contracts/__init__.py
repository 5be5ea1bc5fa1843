"""Platform event contract: envelope, topics, the v1 event catalog and its helpers."""

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
    "model_for",
    "new_envelope",
    "parse",
    "parse_data",
    "schema_uri",
    "spec_for",
    "to_bytes",
    "version_of",
]
