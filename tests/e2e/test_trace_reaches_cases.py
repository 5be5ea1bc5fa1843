"""One trace from a deputy's creation in deputies to its projection in cases (in-memory exporter).

HTTP span (deputies, FastAPI's native telemetry) -> the outbox row's traceparent -> the relay -> FastStream's batch span and
the runner's consumer span (cases) -> the projection written inside it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import select

from cases.testing.harness import running_app as cases_app, settings_for as cases_settings
from deputies.testing import bodies as dep_bodies
from deputies.testing.api import headers as dep_headers, running_app as deputies_app
from deputies.testing.harness import settings_for as deputies_settings
from kit.testing import fresh_database, unique, wait_until

pytestmark = pytest.mark.integration
TOWN = "990101002"
_EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The process's tracer provider, recording into memory (installed once per process)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


def _one(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    found = [s for s in spans if s.name == name]
    assert len(found) == 1, [s.name for s in spans]
    return found[0]


async def test_a_deputy_created_in_deputies_is_projected_in_cases_within_one_trace(
    spans: InMemorySpanExporter,
) -> None:
    prefix = unique("trace") + "."
    async with fresh_database() as dep_url, fresh_database() as cases_url:
        dep = deputies_settings(dep_url, prefix)
        cas = cases_settings(cases_url, prefix)
        admin = dep_headers(dep, "county_admin", "990101")
        async with (
            deputies_app(dep) as (_, dclient),
            cases_app(cas, consumers=True) as (cases, _),
        ):
            township = await dclient.post(
                "/api/v1/townships", json=dep_bodies.township(TOWN), headers=admin
            )
            assert township.status_code == 201, township.text
            created = await dclient.post(
                "/api/v1/deputies", json=dep_bodies.deputy(TOWN), headers=admin
            )
            assert created.status_code == 201, created.text
            deputy_id = created.json()["id"]
            deputies = cases.services.tables.deputies

            async def projected() -> bool:
                async with cases.runtime.engine.connect() as conn:
                    return (
                        await conn.scalar(
                            select(deputies.c.deputy_id).where(deputies.c.deputy_id == deputy_id)
                        )
                        is not None
                    )

            await wait_until(projected, within=30, interval=0.2)
            consumer_name = "cases.roster process deputies.deputy.registered"

            async def consumed() -> bool:
                return any(s.name == consumer_name for s in spans.get_finished_spans())

            await wait_until(consumed, within=10)

    finished = list(spans.get_finished_spans())
    request = _one(finished, "POST /api/v1/deputies")
    consumer = _one(finished, consumer_name)
    assert request.kind is SpanKind.SERVER
    assert consumer.kind is SpanKind.CONSUMER
    assert request.context is not None
    assert consumer.context is not None
    assert consumer.context.trace_id == request.context.trace_id  # one trace across services
    in_request = {  # the request's span and its children in deputies (FastAPI's endpoint span)
        s.context.span_id
        for s in finished
        if s.context is not None
        and s.context.trace_id == request.context.trace_id
        and s.kind is not SpanKind.CONSUMER
    }
    assert consumer.parent is not None
    assert consumer.parent.span_id in in_request  # via the outbox row's traceparent
    assert consumer.attributes is not None
    assert consumer.attributes["messaging.consumer.group.name"] == "cases.roster"
    batch = [  # FastStream's telemetry middleware: the fetched batch, linked to each record
        s
        for s in finished
        if s.kind is SpanKind.CONSUMER
        and any(link.context.trace_id == request.context.trace_id for link in s.links)
    ]
    assert batch, [s.name for s in finished]
