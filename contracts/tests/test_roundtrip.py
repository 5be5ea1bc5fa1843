"""Generated events: anything the exported schema admits, the model reads, and it survives the wire."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import jsonschema  # type: ignore[import-untyped]
from hypothesis import HealthCheck, given, settings, strategies as st

from contracts import new_envelope, parse, parse_data, to_bytes
from contracts.catalog import SPECS, EventSpec
from contracts.schemas import event_schema

Schema = Mapping[str, Any]
_TIMES = st.datetimes(
    min_value=datetime(2000, 1, 2),
    max_value=datetime(2099, 12, 30),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))]),
)


def _resolve(schema: Schema, root: Schema) -> Schema:
    while "$ref" in schema:
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _string(schema: Schema) -> st.SearchStrategy[Any]:
    fmt = schema.get("format")
    if fmt == "date":
        return st.dates(date(2000, 1, 1), date(2099, 12, 31)).map(date.isoformat)
    if fmt == "date-time":
        return _TIMES.map(datetime.isoformat)
    if fmt == "uuid":
        return st.uuids().map(str)
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True)
    low = schema.get("minLength", 0)
    return st.text(min_size=low, max_size=max(low, min(schema.get("maxLength", 12), 12)))


def _number(schema: Schema, integer: bool) -> st.SearchStrategy[Any]:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if integer:
        low = None if low is None else low + (1 if "exclusiveMinimum" in schema else 0)
        high = None if high is None else high - (1 if "exclusiveMaximum" in schema else 0)
        return st.integers(low, high)
    return st.floats(
        low,
        high,
        allow_nan=False,
        allow_infinity=False,
        exclude_min="exclusiveMinimum" in schema,
        exclude_max="exclusiveMaximum" in schema,
    )


def from_schema(schema: Schema, root: Schema) -> st.SearchStrategy[Any]:
    """Return a strategy for JSON values valid under a (pydantic-generated) JSON Schema."""
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        return st.one_of([from_schema(branch, root) for branch in schema["anyOf"]])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        return _string(schema)
    if kind in ("integer", "number"):
        return _number(schema, kind == "integer")
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        low = schema.get("minItems", 0)
        items = from_schema(schema["items"], root)
        return st.lists(
            items, min_size=low, max_size=low + 3, unique=schema.get("uniqueItems", False)
        )
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", ()))
        fields = {name: from_schema(sub, root) for name, sub in properties.items()}
        return st.fixed_dictionaries(
            {k: v for k, v in fields.items() if k in required},
            optional={k: v for k, v in fields.items() if k not in required},
        )
    raise NotImplementedError(f"no strategy for {schema}")


@functools.cache
def payloads(spec: EventSpec) -> st.SearchStrategy[dict[str, Any]]:
    """Return a strategy for payloads of one event type, drawn from its exported schema."""
    schema = event_schema(spec)
    return from_schema(schema, schema)


@st.composite
def events(draw: st.DrawFn) -> tuple[EventSpec, dict[str, Any]]:
    """Draw an event type and a payload its schema admits."""
    spec = draw(st.sampled_from(sorted(SPECS.values(), key=lambda s: s.event_type)))
    return spec, draw(payloads(spec))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    event=events(),
    correlationid=st.text(min_size=1, max_size=40),
    causationid=st.none() | st.text(min_size=1, max_size=40),
    event_id=st.uuids(),
    time=_TIMES,
)
def test_any_schema_valid_event_survives_the_wire(
    event: tuple[EventSpec, dict[str, Any]],
    correlationid: str,
    causationid: str | None,
    event_id: Any,
    time: datetime,
) -> None:
    spec, payload = event
    data = spec.model.model_validate(payload)
    envelope = new_envelope(
        data,
        source=f"/services/{spec.service}",
        correlationid=correlationid,
        causationid=causationid,
        id=event_id,
        time=time,
    )
    value = to_bytes(envelope)
    parsed = parse(value)
    assert parsed.type == spec.event_type
    assert (parsed.id, parsed.time, parsed.subject) == (event_id, time, data.event_subject())
    assert (parsed.correlationid, parsed.causationid) == (correlationid, causationid)
    assert parse_data(parsed) == data
    assert to_bytes(parsed) == value


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=events())
def test_what_a_model_writes_is_valid_under_its_exported_schema(
    event: tuple[EventSpec, dict[str, Any]],
) -> None:
    spec, payload = event
    written = spec.model.model_validate(payload).model_dump(mode="json")
    jsonschema.Draft202012Validator(event_schema(spec)).validate(written)
