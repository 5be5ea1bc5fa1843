"""The HTTP face every service gets from the kit: liveness, readiness, metrics, correlation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from kit_harness import make_schema, settings_for

from kit.db import create_all
from kit.runtime import build_app, build_runtime

pytestmark = pytest.mark.integration


@asynccontextmanager
async def client_for(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and yield a client talking to it in-process."""
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            yield client


async def test_ready_when_database_and_broker_answer(database_url: str, topic_prefix: str) -> None:
    schema = make_schema()
    runtime = build_runtime(settings_for(database_url, topic_prefix), metadata=schema.metadata)
    await create_all(runtime.engine, schema.metadata)
    app = build_app(runtime, title="kit test")
    async with client_for(app) as client:
        assert (await client.get("/livez")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": True, "broker": True}
        response = await client.get("/livez", headers={"X-Correlation-ID": "corr-42"})
        assert response.headers["X-Correlation-ID"] == "corr-42"
        metrics = (await client.get("/metrics")).text
        assert 'kit_ready{service="kittest"} 1.0' in metrics
        assert (
            'kit_http_requests_total{method="GET",route="/livez",service="kittest",status="200"}'
            in metrics
        )


async def test_not_ready_when_the_database_is_unreachable(topic_prefix: str) -> None:
    schema = make_schema()
    dead = "postgresql+asyncpg://npc:npc@127.0.0.1:1/nowhere"
    runtime = build_runtime(settings_for(dead, topic_prefix), metadata=schema.metadata)
    app = build_app(runtime, title="kit test")
    async with client_for(app) as client:
        assert (await client.get("/livez")).status_code == 200
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"] == {"database": False, "broker": True}
        assert 'kit_ready{service="kittest"} 0.0' in (await client.get("/metrics")).text
