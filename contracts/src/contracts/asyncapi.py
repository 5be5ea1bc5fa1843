"""The AsyncAPI 3.0.0 document of the platform's events, generated from the catalog."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any, Final

from pydantic.json_schema import models_json_schema

from contracts import envelope as ce
from contracts.catalog import SPECS, EventSpec
from contracts.schemas import envelope_schema

TITLE: Final = "镇街人大工作平台 events"
#: Version of the document: bump the minor for additive changes, the major never (new type versions instead).
VERSION: Final = "1.1.0"
KAFKA_BINDING: Final = "0.5.0"
_REF: Final = "#/components/schemas/{model}"
_HEADERS: Final = "KafkaHeaders"

_HEADER_FIELDS: Final[dict[str, dict[str, Any]]] = {
    ce.HEADER_ID: {
        "type": "string",
        "format": "uuid",
        "description": "Envelope id (idempotency key)",
    },
    ce.HEADER_TYPE: {"type": "string", "description": "Envelope type, e.g. cases.case.overdue"},
    ce.HEADER_SOURCE: {"type": "string", "description": "Producing service"},
    ce.HEADER_SUBJECT: {"type": "string", "description": "Aggregate id (also the record key)"},
    ce.HEADER_TIME: {"type": "string", "format": "date-time", "description": "Event time (UTC)"},
    ce.HEADER_TOWNSHIP: {
        "type": "string",
        "pattern": ce.DIVISION_CODE.pattern,
        "description": "Division code of the scope",
    },
    ce.HEADER_CORRELATION: {"type": "string", "description": "Id shared by one flow"},
    ce.HEADER_CAUSATION: {"type": "string", "description": "Id of the cause"},
    ce.HEADER_TRACEPARENT: {"type": "string", "description": "W3C trace context"},
    ce.HEADER_CONTENT_TYPE: {"type": "string", "const": ce.CONTENT_TYPE},
}
_REQUIRED_HEADERS: Final = sorted(
    (
        ce.HEADER_ID,
        ce.HEADER_TYPE,
        ce.HEADER_SOURCE,
        ce.HEADER_SUBJECT,
        ce.HEADER_TIME,
        ce.HEADER_TOWNSHIP,
        ce.HEADER_CORRELATION,
    )
)


def channel_id(topic: str) -> str:
    """Return the AsyncAPI channel id of a topic, e.g. `deputies.events` -> `deputiesEvents`."""
    head, *rest = topic.split(".")
    return head + "".join(part.title() for part in rest)


def _headers_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Kafka record headers mirroring the envelope (CloudEvents Kafka binding)",
        "properties": _HEADER_FIELDS,
        "required": _REQUIRED_HEADERS,
    }


def _key(spec: EventSpec) -> str:
    return f"Aggregate id: `{spec.subject_field}` of the {spec.aggregate}"


def _payload(spec: EventSpec, data_ref: dict[str, str]) -> dict[str, Any]:
    payload = copy.deepcopy(envelope_schema())
    name = spec.model.__name__
    payload["title"] = f"{name} envelope"
    properties = payload["properties"]
    properties["type"] = {"type": "string", "const": spec.event_type}
    properties["dataschema"] = {"type": "string", "const": spec.dataschema}
    properties["subject"]["description"] = _key(spec)
    properties["data"] = data_ref
    return payload


def _message(spec: EventSpec, data_ref: dict[str, str]) -> dict[str, Any]:
    return {
        "name": spec.event_type,
        "title": spec.model.__name__,
        "summary": (spec.model.__doc__ or "").strip().splitlines()[0],
        "contentType": ce.CONTENT_TYPE,
        "headers": {"$ref": _REF.format(model=_HEADERS)},
        "payload": _payload(spec, data_ref),
        "correlationId": {
            "description": "Shared by every event of one flow",
            "location": f"$message.header#/{ce.HEADER_CORRELATION}",
        },
        "bindings": {
            "kafka": {
                "key": {
                    "type": "string",
                    "description": _key(spec),
                },
                "bindingVersion": KAFKA_BINDING,
            }
        },
        "tags": [{"name": spec.service}],
    }


def document(specs: Iterable[EventSpec] = SPECS.values()) -> dict[str, Any]:
    """Return the AsyncAPI 3.0.0 document of the given specs (all of the catalog by default)."""
    specs = sorted(specs, key=lambda s: (s.event_type, s.version))
    refs, top = models_json_schema(
        [(spec.model, "validation") for spec in specs], ref_template=_REF
    )
    schemas: dict[str, Any] = {**top.get("$defs", {}), _HEADERS: _headers_schema()}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for spec in specs:
        message_id = spec.model.__name__
        messages[message_id] = _message(spec, dict(refs[spec.model, "validation"]))
        cid = channel_id(spec.topic)
        channel = channels.setdefault(
            cid,
            {
                "address": spec.topic,
                "title": spec.topic,
                "description": f"Events of the {spec.service} service, keyed by aggregate id.",
                "messages": {},
                "bindings": {"kafka": {"topic": spec.topic, "bindingVersion": KAFKA_BINDING}},
            },
        )
        channel["messages"][message_id] = {"$ref": f"#/components/messages/{message_id}"}
        operation = operations.setdefault(
            f"send{cid[0].upper()}{cid[1:]}",
            {
                "action": "send",
                "title": f"{spec.service} publishes",
                "summary": f"The {spec.service} service publishes its events on {spec.topic}.",
                "channel": {"$ref": f"#/channels/{cid}"},
                "messages": [],
            },
        )
        operation["messages"].append({"$ref": f"#/channels/{cid}/messages/{message_id}"})
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": (
                "Domain events of the township People's Congress work platform (镇街人大工作平台): "
                "one topic per producing service, CloudEvents 1.0 envelopes in structured mode, "
                "the aggregate id as the record key. Consumers ignore types they do not know."
            ),
        },
        "defaultContentType": ce.CONTENT_TYPE,
        "servers": {
            "local": {
                "host": "localhost:9092",
                "protocol": "kafka",
                "description": "Local Apache Kafka broker (KRaft) started by ./dev",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }
