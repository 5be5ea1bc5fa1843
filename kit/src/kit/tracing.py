"""Traces across services (OpenTelemetry): HTTP span -> outbox traceparent -> consumer span.

The HTTP server span is FastAPI's own (native telemetry, on when a tracer provider is installed);
the kit stamps staged events with the current span's ``traceparent`` (``stamped``, called by the
unit of work), the relay carries it in the record's headers, and the runner opens each handler
call's consumer span under it (FastStream's ``KafkaTelemetryMiddleware`` adds the batch span).

Off by default: without ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``)
the API's no-op tracer is used and no span is recorded. With it, ``configure_tracing`` installs an
SDK tracer provider that exports over OTLP/HTTP (the exporter reads the standard ``OTEL_*``
variables: headers, timeout, ``OTEL_SERVICE_NAME``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Link

from contracts.envelope import HEADER_TRACEPARENT, Envelope

TRACER = "kit"
_configured = False


def tracer() -> trace.Tracer:
    """Return the kit's tracer (the global provider's, a no-op until one is installed)."""
    return trace.get_tracer(TRACER)


def enabled() -> bool:
    """Tell whether an SDK tracer provider is installed (spans are recorded)."""
    return not isinstance(
        trace.get_tracer_provider(), trace.ProxyTracerProvider | trace.NoOpTracerProvider
    )


def configure_tracing(service: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Install an OTLP-exporting tracer provider when an OTLP endpoint is configured; once."""
    global _configured
    if _configured or enabled():
        return True
    if not (
        environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({SERVICE_NAME: environ.get("OTEL_SERVICE_NAME", service)})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _configured = True
    return True


def current_traceparent() -> str | None:
    """Return the W3C traceparent of the current span, or None when none is recording."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get(HEADER_TRACEPARENT)


def current_trace_id() -> str | None:
    """Return the current trace id (32 hex digits), or None outside a recorded span."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def stamped(envelope: Envelope[Any]) -> Envelope[Any]:
    """Return the envelope carrying the current span's traceparent unless it has one."""
    if envelope.traceparent is not None:
        return envelope
    traceparent = current_traceparent()
    if traceparent is None:
        return envelope
    return envelope.model_copy(update={"traceparent": traceparent})


def stamped_all(envelopes: Sequence[Envelope[Any]]) -> list[Envelope[Any]]:
    """Return ``stamped`` of each envelope, the current traceparent read once for all of them."""
    if all(e.traceparent is not None for e in envelopes):
        return list(envelopes)
    traceparent = current_traceparent()
    if traceparent is None:
        return list(envelopes)
    return [
        e if e.traceparent is not None else e.model_copy(update={"traceparent": traceparent})
        for e in envelopes
    ]


def context_of(traceparent: str | None) -> Context | None:
    """Return the remote context a traceparent names (None: a new trace)."""
    if not traceparent:
        return None
    return propagate.extract({HEADER_TRACEPARENT: traceparent})


def link_to(traceparent: str | None) -> Link | None:
    """Return a link to the span a traceparent names, or None."""
    context = context_of(traceparent)
    if context is None:
        return None
    span_context = trace.get_current_span(context).get_span_context()
    return Link(span_context) if span_context.is_valid else None
