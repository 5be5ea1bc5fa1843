"""Liveness, readiness and metrics endpoints, and the HTTP metrics middleware."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from kit.metrics import KitMetrics


def health_router(
    *,
    service: str,
    engine: AsyncEngine,
    broker: KafkaBroker,
    registry: CollectorRegistry,
    metrics: KitMetrics,
) -> APIRouter:
    """Return `/livez` (process only), `/readyz` (database and broker) and `/metrics`."""
    router = APIRouter(include_in_schema=False)

    @router.get("/livez")
    async def livez() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = {"database": await _database_ok(engine), "broker": await _broker_ok(broker)}
        ready = all(checks.values())
        metrics.ready.labels(service).set(1 if ready else 0)
        body = {"status": "ok" if ready else "unavailable", "checks": checks}
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


def install_http_metrics(app: FastAPI, *, service: str, metrics: KitMetrics) -> None:
    """Count requests and time them per route template (not per raw path)."""

    @app.middleware("http")
    async def measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = _route_template(request)
            metrics.http_requests.labels(service, request.method, route, str(status)).inc()
            metrics.http_request_seconds.labels(service, route).observe(
                time.perf_counter() - started
            )


def _route_template(request: Request) -> str:
    """Return the request path with its path parameters as ``{name}`` (bounded label values).

    The router's own template is relative to nested routers' prefixes, so it is rebuilt from the
    matched path parameters; a request no route matched is counted as ``unmatched``.
    """
    if request.scope.get("route") is None:
        return "unmatched"
    segments = str(request.scope.get("path", "")).split("/")
    for name, value in (request.scope.get("path_params") or {}).items():
        for index, segment in enumerate(segments):
            if segment == str(value):
                segments[index] = "{" + name + "}"
                break
    return "/".join(segments)
