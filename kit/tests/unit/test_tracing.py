"""Trace context: events staged in a span carry its traceparent; log lines carry its trace id."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from typing import Any

from opentelemetry.sdk.trace import TracerProvider

from contracts.catalog import new_envelope
from contracts.deputies import TownshipRegistered
from contracts.envelope import Envelope
from kit import tracing
from kit.logging import _ContextFilter, correlation_id


def _event() -> Envelope[Any]:
    data = TownshipRegistered(township="990101001", county="990101", name="东湖镇", kind="town")
    return new_envelope(data, source="/services/kittest", correlationid="corr-trace")


def test_an_event_staged_inside_a_span_carries_its_traceparent_and_one_outside_none() -> None:
    envelope = _event()
    assert tracing.stamped(envelope) is envelope
    tracer = TracerProvider().get_tracer("test")  # a local provider: the global stays as it is
    with tracer.start_as_current_span("request") as span:
        stamped = tracing.stamped(envelope)
    trace_id = format(span.get_span_context().trace_id, "032x")
    span_id = format(span.get_span_context().span_id, "016x")
    assert stamped.traceparent is not None
    assert stamped.traceparent.startswith(f"00-{trace_id}-{span_id}-")
    assert stamped.headers()["traceparent"] == stamped.traceparent
    context = tracing.context_of(stamped.traceparent)
    assert context is not None
    link = tracing.link_to(stamped.traceparent)
    assert link is not None
    assert link.context.trace_id == span.get_span_context().trace_id


def test_log_records_carry_the_trace_id_next_to_the_correlation_id() -> None:
    stamp = _ContextFilter("kittest")
    record = logging.LogRecord("kit", logging.INFO, __file__, 1, "outside", None, None)
    stamp.filter(record)
    assert getattr(record, "trace_id") is None  # noqa: B009
    tracer = TracerProvider().get_tracer("test")
    token = correlation_id.set("corr-trace")
    try:
        with tracer.start_as_current_span("consume") as span:
            record = logging.LogRecord("kit", logging.INFO, __file__, 1, "inside", None, None)
            stamp.filter(record)
    finally:
        correlation_id.reset(token)
    assert getattr(record, "correlation_id") == "corr-trace"  # noqa: B009
    expected = format(span.get_span_context().trace_id, "032x")
    assert getattr(record, "trace_id") == expected  # noqa: B009


def test_tracing_is_off_without_an_otlp_endpoint() -> None:
    assert tracing.configure_tracing("kittest", environ={}) is tracing.enabled()


def test_an_otlp_endpoint_turns_tracing_on_before_the_broker_is_built() -> None:
    """In a process of its own: the global tracer provider is set once per process."""
    probe = (
        "from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware\n"
        "from kit import tracing\n"
        "from kit.db import kit_tables, make_metadata\n"
        "from kit.runtime import build_runtime\n"
        "from kit.settings import ServiceSettings\n"
        "metadata = make_metadata()\n"
        "kit_tables(metadata)\n"
        "runtime = build_runtime(ServiceSettings.for_service('otel'), metadata=metadata)\n"
        "assert tracing.enabled()\n"
        "assert any(isinstance(m, KafkaTelemetryMiddleware) for m in runtime.broker.middlewares)\n"
    )
    env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"}
    subprocess.run([sys.executable, "-c", probe], check=True, env=env, timeout=60)
