"""Wiring: a runtime is built without a loop; events carry the flow's correlation id."""

from __future__ import annotations

import asyncio

import pytest

from kit.settings import ServiceSettings


def test_wiring_a_runtime_needs_no_event_loop() -> None:
    """Nothing that binds to a loop is created before the service starts (uvicorn owns the loop)."""
    from kit.db import kit_tables, make_metadata
    from kit.runtime import build_runtime

    metadata = make_metadata()
    kit_tables(metadata)
    runtime = build_runtime(ServiceSettings.for_service("wiring"), metadata=metadata)
    with pytest.raises(RuntimeError, match="no running event loop"):
        asyncio.get_running_loop()
    assert (runtime.tasks, runtime.jobs, runtime.runners) == ([], {}, [])
    assert runtime.tables.outbox is metadata.tables["outbox"]
    assert runtime.announcements.table is metadata.tables["announcements_made"]
    assert runtime.idempotency.table is metadata.tables["idempotency_keys"]


def test_events_carry_the_flow_and_name_their_cause() -> None:
    from contracts.deputies import TownshipRegistered
    from kit.events import event
    from kit.logging import correlation_id

    data = TownshipRegistered(township="990101001", county="990101", name="东湖镇", kind="town")
    token = correlation_id.set("req-1")
    try:
        first = event(data, source="/services/deputies")
    finally:
        correlation_id.reset(token)
    assert (first.correlationid, first.causationid) == ("req-1", None)
    second = event(data, source="/services/cases", cause=first)
    assert second.correlationid == "req-1"
    assert second.causationid == str(first.id)
    assert second.subject == "990101001"
