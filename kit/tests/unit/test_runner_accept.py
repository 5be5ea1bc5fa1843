"""The runner's one-pass acceptance of a record gives the verdict of the step-by-step check.

``ConsumerRunner._accept`` reads the common record in one pass and hands anything unusual to
``_check``; these tests feed both the same records (valid, malformed in each way a dead-letter
reason names, and random corruptions) and require the same verdict: ignored, the same item,
or the same reason and error.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka.structs import ConsumerRecord
from hypothesis import given, strategies as st

from contracts import topics
from contracts.catalog import new_envelope, to_bytes
from contracts.deputies import RosterVerified, TownshipRegistered
from contracts.envelope import Envelope
from kit.db import kit_tables, make_metadata
from kit.dead_letter import describe
from kit.runner import ConsumerRunner, Delivery, Subscription, _Item, _Rejected
from kit.runtime import build_runtime
from kit.settings import ServiceSettings
from kit.uow import UnitOfWork

Headers = list[tuple[str, Any]]


async def _apply(deliveries: Sequence[Delivery], uow: UnitOfWork) -> None:
    """Never called: these tests only validate."""


def _runner(tmp_path: Path, versions: dict[str, Any] | None = None) -> ConsumerRunner:
    metadata = make_metadata()
    kit_tables(metadata)
    settings = ServiceSettings.for_service(
        "kittest",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'accept.db'}",
        kafka_topic_prefix="unit.",
        jwt_secret="kit-tests-hs256-secret-of-32-bytes-long",
    )
    subscription = Subscription(
        "kittest.accept",
        (topics.DEPUTIES,),
        batch_handlers={TownshipRegistered.EVENT_TYPE: _apply},
        versions=versions or {},
    )
    runtime = build_runtime(settings, metadata=metadata, subscriptions=[subscription])
    return runtime.runners[0]


def _township() -> Envelope[Any]:
    data = TownshipRegistered(township="990101001", county="990101", name="东湖镇", kind="town")
    return new_envelope(data, source="/services/kittest", correlationid="corr-accept")


def _verified() -> Envelope[Any]:
    data = RosterVerified(
        township="990101001",
        verified_at=datetime(2026, 1, 1, tzinfo=UTC),
        verified_by="staff-1",
        active_deputies=3,
    )
    return new_envelope(data, source="/services/kittest", correlationid="corr-accept")


def _record(value: bytes | None, headers: Headers) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="unit.deputies.events",
        partition=0,
        offset=7,
        timestamp=0,
        timestamp_type=0,
        key=b"990101001",
        value=value,
        checksum=None,
        serialized_key_size=9,
        serialized_value_size=len(value or b""),
        headers=headers,
    )


def _headers(envelope: Envelope[Any]) -> Headers:
    return [(k, v.encode()) for k, v in envelope.headers().items()]


def _body(envelope: Envelope[Any], **changes: Any) -> bytes:
    document = json.loads(to_bytes(envelope))
    for name, value in changes.items():
        if value is ...:
            del document[name]
        else:
            document[name] = value
    return json.dumps(document, ensure_ascii=False).encode()


def _verdict(outcome: _Item | _Rejected | None) -> tuple[Any, ...]:
    if outcome is None:
        return ("ignored",)
    if isinstance(outcome, _Rejected):
        return ("rejected", outcome.reason, describe(outcome.error), dict(outcome.headers))
    d = outcome.delivery
    return ("item", outcome.event_id, outcome.event_type, d.envelope, d.data, dict(outcome.headers))


def _both(runner: ConsumerRunner, record: ConsumerRecord[bytes, bytes]) -> tuple[Any, ...]:
    fast = _verdict(runner._accept(record))
    assert fast == _verdict(runner._check(record))
    return fast


def _cases() -> dict[str, tuple[bytes | None, Headers]]:
    e, other = _township(), _verified()
    h = _headers(e)
    value = to_bytes(e)
    return {
        "valid": (value, h),
        "another type": (to_bytes(other), _headers(other)),
        "another type, undecodable header": (to_bytes(other), [*_headers(other), ("x", b"\xff")]),
        "no ce_id": (value, [p for p in h if p[0] != "ce_id"]),
        "no ce_type": (value, [p for p in h if p[0] != "ce_type"]),
        "undecodable header": (value, [*h, ("x", b"\xff\xfe")]),
        "sequence split across headers": (value, [*h, ("a", b"\xe4\xb8"), ("b", b"\xad")]),
        "header without value": (value, [*h, ("x", None)]),
        "repeated header": (value, [*h, ("ce_id", str(other.id).encode())]),
        "ce_id disagrees": (value, [("ce_id", str(other.id).encode()), *h[1:]]),
        "ce_type names the handled type": (to_bytes(other), [_headers(other)[0], *h[1:]]),
        "not json": (b"{not json", h),
        "no value": (None, h),
        "no id on the wire": (_body(e, id=...), h),
        "no time on the wire": (_body(e, time=...), h),
        "naive time": (_body(e, time="2026-01-01T08:00:00"), h),
        "time not in UTC": (_body(e, time="2026-01-01T08:00:00+08:00"), h),
        "bad township": (_body(e, township="99x"), h),
        "unknown version": (_body(e, dataschema=e.dataschema.replace(":v1", ":v9")), h),
        "dataschema of another type": (_body(e, dataschema=other.dataschema), h),
        "invalid payload": (_body(e, data={"township": "990101001"}), h),
        "unknown envelope field": (_body(e, extra="x"), h),
    }


@pytest.mark.parametrize("case", list(_cases()))
def test_one_pass_and_step_by_step_give_the_same_verdict(tmp_path: Path, case: str) -> None:
    runner = _runner(tmp_path)
    cases = _cases()
    value, headers = cases[case]
    _both(runner, _record(value, headers))  # before the runner knows the dataschema's version
    _both(runner, _record(*cases["valid"]))  # learns it
    _both(runner, _record(value, headers))


def test_the_verdicts_name_the_dead_letter_reasons(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    kinds = {name: _both(runner, _record(*case))[:2] for name, case in _cases().items()}
    assert kinds["valid"][0] == "item"
    assert kinds["time not in UTC"][0] == "item"
    assert kinds["unknown envelope field"] == ("rejected", "invalid_envelope")
    assert kinds["another type"] == ("ignored",)
    assert kinds["another type, undecodable header"] == ("rejected", "invalid_header")
    assert kinds["undecodable header"] == ("rejected", "invalid_header")
    assert kinds["sequence split across headers"] == ("rejected", "invalid_header")
    assert kinds["header without value"] == ("rejected", "invalid_header")
    assert kinds["no ce_id"] == ("rejected", "missing_header")
    assert kinds["unknown version"] == ("rejected", "unknown_version")
    for name in ("ce_id disagrees", "not json", "no id on the wire", "invalid payload"):
        assert kinds[name] == ("rejected", "invalid_envelope"), name


def test_a_version_not_read_and_a_failing_upcaster_are_the_check_s(tmp_path: Path) -> None:
    def broken(data: Any) -> Any:
        raise RuntimeError("upcaster bug")

    runner = _runner(tmp_path, versions={TownshipRegistered.EVENT_TYPE: {2: broken}})
    e = _township()
    assert _both(runner, _record(to_bytes(e), _headers(e)))[:2] == (
        "rejected",
        "unsupported_version",
    )
    runner = _runner(tmp_path, versions={TownshipRegistered.EVENT_TYPE: {1: broken}})
    for accept in (runner._accept, runner._check):  # the batch is read again, as before
        with pytest.raises(RuntimeError, match="upcaster bug"):
            accept(_record(to_bytes(e), _headers(e)))


@given(
    cut=st.integers(min_value=0, max_value=600),
    length=st.integers(min_value=0, max_value=8),
    junk=st.binary(max_size=8),
    header=st.sampled_from(["ce_id", "ce_type", "ce_time", "correlation_id", "extra"]),
    header_value=st.binary(max_size=12),
)
def test_random_corruption_gets_the_same_verdict_both_ways(
    tmp_path_factory: pytest.TempPathFactory,
    cut: int,
    length: int,
    junk: bytes,
    header: str,
    header_value: bytes,
) -> None:
    runner = _runner(tmp_path_factory.mktemp("fuzz"))
    e = _township()
    value = to_bytes(e)
    headers = _headers(e)
    _both(runner, _record(value, headers))  # learns the version
    _both(runner, _record(value[:cut] + junk + value[cut + length :], headers))
    changed = [(k, header_value if k == header else v) for k, v in headers]
    if header not in dict(headers):
        changed.append((header, header_value))
    _both(runner, _record(value, changed))
