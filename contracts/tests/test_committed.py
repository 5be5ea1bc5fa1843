"""The committed schemas and AsyncAPI document are current, and the models stay compatible with them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts import topics
from contracts.catalog import CATALOG, SPECS
from contracts.compat import breaking_changes
from contracts.export import ASYNCAPI_FILE, ROOT, SCHEMA_DIR, plan
from contracts.schemas import ENVELOPE_FILE, documents, envelope_schema, event_schema, file_name

COMMITTED = sorted((ROOT / SCHEMA_DIR).glob("*.json"))


def load(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


def test_the_committed_files_are_what_the_catalog_produces() -> None:
    result = plan(ROOT)
    assert result.breaks == []
    assert [str(p.relative_to(ROOT)) for p in result.outdated()] == [], (
        "run `uv run python -m contracts.export` and commit the result"
    )


def test_every_published_version_has_a_committed_schema() -> None:
    names = {path.name for path in COMMITTED}
    assert {file_name(spec) for spec in SPECS.values()} | {ENVELOPE_FILE} == names


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.name)
def test_the_current_model_is_compatible_with_the_committed_schema(path: Path) -> None:
    current = documents()
    assert path.name in current, f"{path.name}: the event type or version was withdrawn"
    assert breaking_changes(load(path), current[path.name]) == []


def test_the_envelope_schema_requires_what_the_wire_requires() -> None:
    schema = envelope_schema()
    assert {"id", "time", "specversion", "type", "data", "township"} <= set(schema["required"])
    assert schema["additionalProperties"] is False
    assert schema["properties"]["township"]["pattern"]


@pytest.fixture(scope="module")
def asyncapi() -> dict[str, Any]:
    document: dict[str, Any] = load(ROOT / ASYNCAPI_FILE)
    return document


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _follow(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part]
    return _follow(document, node["$ref"]) if "$ref" in node else node


def test_asyncapi_has_the_3_0_shape(asyncapi: dict[str, Any]) -> None:
    assert asyncapi["asyncapi"] == "3.0.0"
    assert asyncapi["info"]["title"] == "镇街人大工作平台 events"
    assert asyncapi["info"]["version"]
    assert asyncapi["servers"]["local"] == {
        "host": "localhost:9092",
        "protocol": "kafka",
        "description": asyncapi["servers"]["local"]["description"],
    }
    assert set(asyncapi) <= {
        "asyncapi",
        "id",
        "info",
        "servers",
        "defaultContentType",
        "channels",
        "operations",
        "components",
    }
    for ref in set(_refs(asyncapi)):
        _follow(asyncapi, ref)  # every reference resolves


def test_asyncapi_has_a_channel_per_topic_with_its_messages(asyncapi: dict[str, Any]) -> None:
    channels = {channel["address"]: channel for channel in asyncapi["channels"].values()}
    assert set(channels) == set(topics.ALL)
    for spec in CATALOG.values():
        message_ref = channels[spec.topic]["messages"][spec.model.__name__]
        message = _follow(asyncapi, message_ref["$ref"])
        assert message["name"] == spec.event_type
        payload = message["payload"]
        assert payload["properties"]["type"]["const"] == spec.event_type
        assert payload["properties"]["dataschema"]["const"] == spec.dataschema
        data = _follow(asyncapi, payload["properties"]["data"]["$ref"])
        assert set(data["properties"]) == set(event_schema(spec)["properties"])
        assert message["bindings"]["kafka"]["key"]["type"] == "string"
        headers = _follow(asyncapi, message["headers"]["$ref"])
        assert {
            "ce_id",
            "ce_type",
            "ce_source",
            "ce_subject",
            "ce_time",
            "ce_township",
            "correlation_id",
            "causation_id",
            "traceparent",
        } <= set(headers["properties"])


def test_asyncapi_operations_send_each_service_s_own_messages(asyncapi: dict[str, Any]) -> None:
    assert len(asyncapi["operations"]) == len(topics.ALL)
    for operation in asyncapi["operations"].values():
        assert operation["action"] == "send"
        channel_ref = operation["channel"]["$ref"]
        channel = _follow(asyncapi, channel_ref)
        sent = [m["$ref"] for m in operation["messages"]]
        # AsyncAPI 3.0: an operation's messages are references into its channel's messages.
        assert all(ref.startswith(channel_ref + "/messages/") for ref in sent)
        assert {ref.rsplit("/", 1)[-1] for ref in sent} == set(channel["messages"])
        assert {_follow(asyncapi, ref)["name"].split(".")[0] for ref in sent} == {
            channel["address"].split(".")[0]
        }
