"""Liveness, readiness and metrics endpoints, and the HTTP metrics middleware."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit.metrics import KitMetrics


def health_router(
    *,
    service: str,
    engine: AsyncEngine,
    broker: KafkaBroker,
    registry: CollectorRegistry,
    metrics: KitMetrics,
    details: Callable[[], Mapping[str, object]] | None = None,
) -> APIRouter:
    """Return `/livez` (process only), `/readyz` (database and broker) and `/metrics`.

    ``details`` adds what the service wants operators to see in the `/readyz` body (it does
    not change readiness), e.g. a holiday calendar that does not cover the coming year.
    """
    router = APIRouter(include_in_schema=False)

    @router.get("/livez")
    async def livez() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = {"database": await _database_ok(engine), "broker": await _broker_ok(broker)}
        ready = all(checks.values())
        metrics.ready.labels(service).set(1 if ready else 0)
        body: dict[str, object] = {"status": "ok" if ready else "unavailable", "checks": checks}
        if details is not None:
            body["details"] = dict(details())
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get("/metrics")
    async def prometheus_metrics() -> Response:
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
        return bool(await broker.ping(timeout=2.0))
    except Exception:
        return False


class HttpMetricsMiddleware:
    """Plain ASGI middleware: count and time requests per route template."""

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
            route = _route_template(scope)
            method = str(scope.get("method", ""))
            self.metrics.http_requests.labels(self.service, method, route, str(status)).inc()
            self.metrics.http_request_seconds.labels(self.service, route).observe(
                time.perf_counter() - started
            )


def install_http_metrics(app: FastAPI, *, service: str, metrics: KitMetrics) -> None:
    """Count requests and time them per route template (not per raw path)."""
    app.add_middleware(HttpMetricsMiddleware, service=service, metrics=metrics)


def _route_template(scope: Scope) -> str:
    """Return the request path with its path parameters as ``{name}`` (bounded label values).

    The router's own template is relative to nested routers' prefixes, so it is rebuilt from the
    matched path parameters; a request no route matched is counted as ``unmatched``.
    """
    if scope.get("route") is None:
        return "unmatched"
    segments = str(scope.get("path", "")).split("/")
    for name, value in (scope.get("path_params") or {}).items():
        for index, segment in enumerate(segments):
            if segment == str(value):
                segments[index] = "{" + name + "}"
                break
    return "/".join(segments)
