"""Liveness, readiness and metrics endpoints, and the HTTP metrics and access-log middleware.

Readiness is what a load balancer routes on: it needs the database (503 without it) but not the
broker, because writes go to the outbox and the relay publishes them when the broker is back.
The broker's state is in the ``/readyz`` body and in ``kit_broker_up``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit.logging import correlation_id
from kit.metrics import KitMetrics
from kit.web.routes import route_template

access_log = logging.getLogger("kit.access")
BROKER_PROBE_SECONDS = 2.0
BROKER_STALE_SECONDS = 15.0


class BrokerProbe:
    """Pings the broker at most every few seconds and keeps ``kit_broker_up`` up to date."""

    def __init__(self, broker: KafkaBroker, gauge: Gauge, service: str) -> None:
        self.broker = broker
        self.gauge = gauge.labels(service)
        self.up: bool | None = None
        self.checked = 0.0

    async def check(self) -> bool:
        """Ping the broker now and record the answer."""
        self.up = await _broker_ok(self.broker)
        self.checked = time.monotonic()
        self.gauge.set(1 if self.up else 0)
        return self.up

    async def fresh(self) -> bool:
        """Return the broker state, pinging again when the last answer is stale."""
        if self.up is None or time.monotonic() - self.checked > BROKER_STALE_SECONDS:
            return await self.check()
        return self.up


def health_router(
    *,
    service: str,
    engine: AsyncEngine,
    broker: KafkaBroker,
    registry: CollectorRegistry,
    metrics: KitMetrics,
    details: Callable[[], Mapping[str, object]] | None = None,
) -> APIRouter:
    """Return `/livez` (process), `/readyz` (database; broker reported) and `/metrics`.

    ``details`` adds what the service wants operators to see in the `/readyz` body (it does
    not change readiness), e.g. a holiday calendar that does not cover the coming year.
    """
    router = APIRouter(include_in_schema=False)
    probe = BrokerProbe(
        broker,
        Gauge("kit_broker_up", "1 when the broker answers a ping", ["service"], registry=registry),
        service,
    )

    @router.get("/livez")
    async def livez() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        database, broker_up = await asyncio.gather(_database_ok(engine), probe.check())
        metrics.ready.labels(service).set(1 if database else 0)
        body: dict[str, object] = {
            "status": "ok" if database else "unavailable",
            "checks": {"database": database, "broker": broker_up},
            "broker": "up" if broker_up else "down (writes wait in the outbox)",
        }
        if details is not None:
            body["details"] = dict(details())
        return JSONResponse(body, status_code=200 if database else 503)

    @router.get("/metrics")
    async def prometheus_metrics() -> Response:
        await probe.fresh()
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


async def _database_ok(engine: AsyncEngine) -> bool:
    try:
        async with asyncio.timeout(2.0), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


async def _broker_ok(broker: KafkaBroker) -> bool:
    try:
        async with asyncio.timeout(BROKER_PROBE_SECONDS + 0.5):
            return bool(await broker.ping(timeout=BROKER_PROBE_SECONDS))
    except Exception:
        return False


class HttpMetricsMiddleware:
    """Plain ASGI middleware: count and time requests per route template; one access-log line.

    The line has the method, route template (never the raw path or query, which may carry
    names or phone numbers), status, duration, subject and correlation id; no bodies.
    """

    def __init__(self, app: ASGIApp, *, service: str, metrics: KitMetrics) -> None:
        self.app = app
        self.service = service
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            route = route_template(scope)
            method = str(scope.get("method", ""))
            seconds = time.perf_counter() - started
            self.metrics.http_requests.labels(self.service, method, route, str(status)).inc()
            self.metrics.http_request_seconds.labels(self.service, route).observe(seconds)
            principal = (scope.get("state") or {}).get("principal")
            access_log.info(
                "%s %s %s",
                method,
                route,
                status,
                extra={
                    "event": "access",
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                    "subject": getattr(principal, "subject", None) or "anonymous",
                    "correlation_id": correlation_id.get(),
                },
            )


def install_http_metrics(app: FastAPI, *, service: str, metrics: KitMetrics) -> None:
    """Count requests and time them per route template (not per raw path)."""
    app.add_middleware(HttpMetricsMiddleware, service=service, metrics=metrics)
