"""Refusals on record, an access line per request, 503 on a database outage, readiness without the broker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from kit_harness import make_schema, settings_for
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from kit.auth import current_principal, ensure_scope, issue_token, require_roles
from kit.db import create_all
from kit.errors import ForbiddenError, out_of_scope
from kit.principal import Principal, Role
from kit.runtime import ServiceRuntime, build_app, build_runtime

pytestmark = pytest.mark.integration

TOWNSHIP = "990101001"
OTHER = "990101002"
Caller = Annotated[Principal, Depends(current_principal)]
Admin = Annotated[Principal, Depends(require_roles(Role.county_admin))]


def routes(runtime: ServiceRuntime) -> APIRouter:
    """Routes that refuse in each way a service does."""
    api = APIRouter()

    @api.get("/admin/{township}")
    async def admin_only(township: str, _: Admin) -> dict[str, str]:
        return {"township": township}

    @api.get("/townships/{township}")
    async def scoped(township: str, principal: Caller) -> dict[str, str]:
        ensure_scope(principal, township)
        return {"township": township}

    @api.get("/records/{record_id}")
    async def hidden(record_id: str, principal: Caller) -> dict[str, str]:
        raise out_of_scope("record", township=OTHER)

    @api.post("/digests")
    async def domain_refusal(principal: Caller) -> dict[str, str]:
        raise ForbiddenError("digests are compiled by county staff")

    @api.get("/now")
    async def now(principal: Caller) -> dict[str, str]:
        async with runtime.sessionmaker() as session:
            value = (await session.execute(text("SELECT now()::text"))).scalar_one()
        return {"now": str(value)}

    return api


@asynccontextmanager
async def app_on(
    database_url: str, topic_prefix: str, **overrides: Any
) -> AsyncIterator[tuple[ServiceRuntime, FastAPI, httpx.AsyncClient]]:
    """Build a kit service app (no lifespan: no broker needed) and a client for it."""
    schema = make_schema()
    runtime = build_runtime(
        settings_for(database_url, topic_prefix, **overrides), metadata=schema.metadata
    )
    app = build_app(runtime, title="kit test", routers=[routes(runtime)])
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            yield runtime, app, client
    finally:
        await runtime.engine.dispose()


def bearer(runtime: ServiceRuntime, role: Role, scope: str, subject: str = "u-1") -> dict[str, str]:
    """Return the Authorization header of a user."""
    token = issue_token(runtime.settings, subject=subject, roles=[role], scope=scope)
    return {"Authorization": f"Bearer {token}"}


def refusals(runtime: ServiceRuntime, reason: str) -> float:
    """Return ``kit_http_refusals_total`` for a reason."""
    value = runtime.registry.get_sample_value(
        "kit_http_refusals_total", {"service": "kittest", "reason": reason}
    )
    return value or 0.0


async def test_each_refusal_leaves_a_log_line_an_audit_row_and_a_count(
    database_url: str, topic_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with app_on(database_url, topic_prefix) as (runtime, _, client):
        await create_all(runtime.engine, runtime.tables.audit_log.metadata)
        staff = bearer(runtime, Role.township_staff, TOWNSHIP, "staff-7")
        cases = [
            # (request, status, reason, subject, township)
            (("GET", f"/api/v1/admin/{TOWNSHIP}", {}), 401, "no_token", "anonymous", TOWNSHIP),
            (
                ("GET", f"/api/v1/admin/{TOWNSHIP}", {"Authorization": "Bearer x.y.z"}),
                401,
                "invalid_token",
                "anonymous",
                TOWNSHIP,
            ),
            (("GET", f"/api/v1/admin/{TOWNSHIP}", staff), 403, "role", "staff-7", TOWNSHIP),
            (("GET", f"/api/v1/townships/{OTHER}", staff), 403, "scope", "staff-7", OTHER),
            (("POST", "/api/v1/digests", staff), 403, "forbidden", "staff-7", None),
            (("GET", "/api/v1/records/r-1", staff), 404, "hidden", "staff-7", OTHER),
        ]
        for (method, path, headers), status, reason, subject, township in cases:
            before = refusals(runtime, reason)
            caplog.clear()
            response = await client.request(method, path, headers=headers)
            assert response.status_code == status, response.text
            assert refusals(runtime, reason) == before + 1, reason
            lines = [r for r in caplog.records if r.name == "kit.security"]
            assert len(lines) == 1, reason
            line: Any = lines[0]
            assert (line.status, line.reason, line.subject, line.township) == (
                status,
                reason,
                subject,
                township,
            )
            assert line.route == path or "{" in line.route
            if subject != "anonymous":
                assert line.roles == ["township_staff"]
                assert line.scope == TOWNSHIP
        audit = runtime.tables.audit_log
        async with runtime.sessionmaker() as session:
            rows = (
                await session.execute(
                    select(
                        audit.c.actor, audit.c.outcome, audit.c.township, audit.c.resource_id
                    ).order_by(audit.c.id)
                )
            ).all()
        assert [(r.actor, r.outcome, r.township) for r in rows] == [
            (subject, f"refused_{status}", township) for _, status, _, subject, township in cases
        ]
        assert rows[2].resource_id == "GET /api/v1/admin/{township}"


async def test_one_access_line_per_request_without_personal_data(
    database_url: str, topic_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with app_on(database_url, topic_prefix) as (runtime, _, client):
        staff = bearer(runtime, Role.township_staff, TOWNSHIP, "staff-7")
        response = await client.get(
            f"/api/v1/townships/{TOWNSHIP}",
            params={"name": "张三", "phone": "13800000000"},
            headers={**staff, "X-Correlation-ID": "corr-9"},
        )
        assert response.status_code == 200
        lines: list[Any] = [r for r in caplog.records if r.name == "kit.access"]
        assert len(lines) == 1
        line = lines[0]
        assert (line.method, line.route, line.status, line.subject, line.correlation_id) == (
            "GET",
            "/api/v1/townships/{township}",
            200,
            "staff-7",
            "corr-9",
        )
        assert line.duration_ms >= 0
        everything = str(vars(line)) + line.getMessage()
        assert "张三" not in everything
        assert "13800000000" not in everything


class Proxy:
    """A TCP relay in front of the real PostgreSQL server that can be cut and restored."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.server: asyncio.Server | None = None
        self.port = 0
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers |= {writer, up_writer}

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        self.writers -= {writer, up_writer}


async def test_a_database_outage_is_503_with_retry_after(
    database_url: str, topic_prefix: str
) -> None:
    url = make_url(database_url)
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    via_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    async with app_on(via_proxy, topic_prefix, database_pool_size=2) as (runtime, _, client):
        staff = bearer(runtime, Role.township_staff, TOWNSHIP)
        assert (await client.get("/api/v1/now", headers=staff)).status_code == 200
        await proxy.cut()  # open connections die, new ones are refused
        for _ in range(3):
            response = await client.get("/api/v1/now", headers=staff)
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"].isdigit()
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["status"] == 503
        assert (await client.get("/readyz")).status_code == 503
        unavailable = runtime.registry.get_sample_value(
            "kit_http_unavailable_total", {"service": "kittest", "cause": "database"}
        )
        assert unavailable == 3
        await proxy.start()  # the database is back: so is the API
        assert (await client.get("/api/v1/now", headers=staff)).status_code == 200
        await proxy.cut()


async def test_a_database_on_a_closed_port_is_503(topic_prefix: str) -> None:
    dead = "postgresql+asyncpg://npc:npc@127.0.0.1:1/nowhere"
    async with app_on(dead, topic_prefix) as (runtime, _, client):
        response = await client.get(
            "/api/v1/now", headers=bearer(runtime, Role.township_staff, TOWNSHIP)
        )
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"].isdigit()


async def test_readiness_does_not_depend_on_the_broker(
    database_url: str, topic_prefix: str
) -> None:
    silent = {"kafka_bootstrap_servers": "127.0.0.1:1"}  # nothing answers there
    async with app_on(database_url, topic_prefix, **silent) as (_, _, client):
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": True, "broker": False}
        metrics = (await client.get("/metrics")).text
        assert 'kit_broker_up{service="kittest"} 0.0' in metrics
        assert 'kit_ready{service="kittest"} 1.0' in metrics
    dead = "postgresql+asyncpg://npc:npc@127.0.0.1:1/nowhere"
    async with app_on(dead, topic_prefix, **silent) as (_runtime, _, client):
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"] == {"database": False, "broker": False}
