"""The event catalog: every published type and version, its model and topic; build and read envelopes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final, TypeVar
from uuid import UUID

from pydantic import ValidationError
from pydantic_core import InitErrorDetails

from contracts import cases, deputies, notify, scoring, topics
from contracts.common import EventData
from contracts.envelope import Envelope, RawEnvelope, schema_uri

M = TypeVar("M", bound=EventData)

_TYPE: Final = re.compile(r"^(deputies|cases|scoring|notify)\.[a-z_]+\.[a-z_]+$")
_SCHEMA_URI: Final = re.compile(
    r"^urn:npc-platform:event:(?P<type>[a-z_.]+):v(?P<version>[1-9][0-9]*)$"
)
#: Envelope attributes that have defaults in the model but must be present on the wire.
WIRE_REQUIRED: Final = ("specversion", "id", "time")


class UnknownEventType(LookupError):  # noqa: N818 (the name other packages import)
    """The event type is not in the catalog."""


class UnknownEventVersion(UnknownEventType):
    """The event type is known, but not the major version its `dataschema` names."""


class DataSchemaError(ValueError):
    """The envelope's `dataschema` is not the schema URI of its `type`."""


@dataclass(frozen=True)
class EventSpec:
    """One event type at one major version: its payload model, topic and aggregate."""

    event_type: str
    version: int
    model: type[EventData]
    topic: str
    aggregate: str
    subject_field: str
    scope_field: str

    @property
    def service(self) -> str:
        """Return the producing service (the type's prefix)."""
        return self.event_type.split(".", 1)[0]

    @property
    def dataschema(self) -> str:
        """Return the `dataschema` URI of this type and version."""
        return schema_uri(self.event_type, self.version)


def _spec(model: type[EventData], service: str) -> EventSpec:
    event_type = model.EVENT_TYPE
    if not _TYPE.match(event_type) or not event_type.startswith(f"{service}."):
        raise ValueError(f"{model.__name__}: {event_type!r} is not a {service} event type")
    for field in (model.SUBJECT, model.SCOPE):
        if field not in model.model_fields:
            raise ValueError(f"{model.__name__} has no field {field!r}")
    return EventSpec(
        event_type=event_type,
        version=model.VERSION,
        model=model,
        topic=topics.for_event_type(event_type),
        aggregate=model.AGGREGATE,
        subject_field=model.SUBJECT,
        scope_field=model.SCOPE,
    )


def build(producers: Mapping[str, Iterable[type[EventData]]]) -> dict[tuple[str, int], EventSpec]:
    """Return the specs of every model by (type, version), checking names and uniqueness."""
    specs: dict[tuple[str, int], EventSpec] = {}
    for service, models in producers.items():
        for model in models:
            spec = _spec(model, service)
            if (spec.event_type, spec.version) in specs:
                raise ValueError(f"{spec.event_type} v{spec.version} is defined twice")
            specs[spec.event_type, spec.version] = spec
    return specs


SPECS: Final[Mapping[tuple[str, int], EventSpec]] = MappingProxyType(
    build(
        {
            "deputies": deputies.EVENTS,
            "cases": cases.EVENTS,
            "scoring": scoring.EVENTS,
            "notify": notify.EVENTS,
        }
    )
)
"""Every published (type, major version); during a migration both v1 and v2 of a type are here."""

CATALOG: Final[Mapping[str, EventSpec]] = MappingProxyType(
    {t: SPECS[t, max(v for tt, v in SPECS if tt == t)] for t, _ in SPECS}
)
"""Event type -> spec of its newest major version."""


def model_for(event_type: str, version: int | None = None) -> type[EventData] | None:
    """Return the payload model of an event type (newest version unless given), or None."""
    spec = CATALOG.get(event_type) if version is None else SPECS.get((event_type, version))
    return spec.model if spec else None


def spec_for(
    event_type: str,
    version: int | None = None,
    specs: Mapping[tuple[str, int], EventSpec] = SPECS,
) -> EventSpec:
    """Return the spec of an event type (newest version unless given); raise if unknown.

    ``specs`` is the catalog to look in: the platform's unless a test brings its own versions.
    A known (type, version) is one lookup; only a miss or the newest version scans the catalog.
    """
    if version is not None and (found := specs.get((event_type, version))) is not None:
        return found
    if version is None and specs is SPECS and event_type in CATALOG:
        return CATALOG[event_type]
    versions = [v for t, v in specs if t == event_type]
    if not versions:
        raise UnknownEventType(f"unknown event type {event_type!r}")
    try:
        return specs[event_type, max(versions) if version is None else version]
    except KeyError:
        raise UnknownEventVersion(f"unknown version v{version} of {event_type!r}") from None


def new_envelope(
    data: M,
    *,
    source: str,
    correlationid: str,
    subject: str | None = None,
    township: str | None = None,
    causationid: str | None = None,
    id: UUID | None = None,
    time: datetime | None = None,
    traceparent: str | None = None,
) -> Envelope[M]:
    """Wrap a payload in an envelope whose type and dataschema come from the catalog.

    `subject` and `township` default to the payload's aggregate id and division code; when
    given they must agree with it, so the Kafka key always is the aggregate id.
    """
    spec = spec_for(data.EVENT_TYPE, data.VERSION)
    if type(data) is not spec.model:
        raise TypeError(f"{type(data).__name__} is not the catalog model of {spec.event_type}")
    if subject is not None and subject != data.event_subject():
        raise ValueError(f"subject {subject!r} is not the aggregate id {data.event_subject()!r}")
    if township is not None and township != data.event_township():
        raise ValueError(f"township {township!r} is not the payload's {data.event_township()!r}")
    optional: dict[str, Any] = {"id": id, "time": time}
    return Envelope(
        type=spec.event_type,
        dataschema=spec.dataschema,
        source=source,
        subject=data.event_subject(),
        township=data.event_township(),
        correlationid=correlationid,
        causationid=causationid,
        traceparent=traceparent,
        data=data,
        **{k: v for k, v in optional.items() if v is not None},
    )


def to_bytes(envelope: Envelope[Any]) -> bytes:
    """Serialise an envelope as the UTF-8 JSON value of a Kafka record (structured mode)."""
    return envelope.model_dump_json().encode("utf-8")


def parse(value: bytes) -> RawEnvelope:
    """Validate a Kafka record value as an envelope; `data` stays a dict (see `parse_data`).

    `id`, `time` and `specversion` have defaults for producers but must be on the wire: an event
    without its id would silently get a new one and defeat idempotency.
    """
    envelope = RawEnvelope.model_validate_json(value)
    missing = [name for name in WIRE_REQUIRED if name not in envelope.model_fields_set]
    if missing:
        errors = [
            InitErrorDetails(type="missing", loc=(name,), input=value.decode("utf-8", "replace"))
            for name in missing
        ]
        raise ValidationError.from_exception_data("Envelope", errors)
    return envelope


def version_of(envelope: Envelope[Any]) -> int:
    """Return the major version the envelope's `dataschema` names; raise if it names another type."""
    match = _SCHEMA_URI.match(envelope.dataschema)
    if match is None or match["type"] != envelope.type:
        raise DataSchemaError(f"dataschema {envelope.dataschema!r} does not name {envelope.type!r}")
    return int(match["version"])


def parse_data(
    envelope: Envelope[Any], specs: Mapping[tuple[str, int], EventSpec] = SPECS
) -> EventData:
    """Validate an envelope's `data` against the catalog model of its type and version."""
    spec_for(envelope.type, specs=specs)  # an unknown type is reported before its dataschema
    spec = spec_for(envelope.type, version_of(envelope), specs)
    if isinstance(envelope.data, spec.model):
        return envelope.data
    return spec.model.model_validate(envelope.data)
