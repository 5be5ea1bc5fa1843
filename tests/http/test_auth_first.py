"""Authentication first: every route of both services answers 401 to a missing, garbage or expired token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from cases import bootstrap as cases_bootstrap
from cases.testing import harness as cases_harness
from deputies import bootstrap as deputies_bootstrap
from deputies.adapters.migrations import migrate as migrate_deputies
from deputies.testing import harness as deputies_harness
from kit.auth.tokens import AuthConfig
from kit.principal import Principal, Role
from kit.settings import ServiceSettings

pytestmark = pytest.mark.integration

PUBLIC = {"/livez", "/readyz", "/metrics", "/docs", "/openapi.json"}
PARAM = re.compile(r"\{[^}]+\}")


@dataclass(frozen=True)
class Built:
    """One service's app, its settings and its audit table."""

    name: str
    app: FastAPI
    settings: ServiceSettings
    runtime: Any


@asynccontextmanager
async def both_services(
    cases_url: str, deputies_url: str, prefix: str
) -> AsyncIterator[list[Built]]:
    """Build both services from their bootstrap against fresh, migrated databases."""
    cases_settings = cases_harness.settings_for(cases_url, prefix)
    deputies_settings = deputies_harness.settings_for(deputies_url, prefix)
    await cases_bootstrap.migrate(cases_settings)
    await migrate_deputies(deputies_settings)
    cases = cases_bootstrap.build(cases_settings)
    deputies = deputies_bootstrap.build(deputies_settings)
    try:
        yield [
            Built("cases", cases.app, cases_settings, cases.runtime),
            Built("deputies", deputies.app, deputies_settings, deputies.runtime),
        ]
    finally:
        await cases.runtime.engine.dispose()
        await deputies.runtime.engine.dispose()


def expired_token(settings: ServiceSettings) -> str:
    """Return a correctly signed token that expired an hour ago."""
    principal = Principal(
        subject="admin", name="", roles=frozenset({Role.county_admin}), scope="990101"
    )
    issued = datetime.now(UTC) - timedelta(hours=2)
    return AuthConfig.from_settings(settings).issue(principal, ttl=timedelta(hours=1), now=issued)


def operations(schema: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (method, concrete path) for every operation of an OpenAPI document."""
    found = []
    for template, item in schema["paths"].items():
        path = PARAM.sub("x1", template)
        for method in item:
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append((method.upper(), path))
    return found


async def test_every_route_of_both_services_authenticates_first(
    database_url: str, other_database_url: str, topic_prefix: str
) -> None:
    async with both_services(database_url, other_database_url, topic_prefix) as services:
        for service in services:
            transport = httpx.ASGITransport(app=service.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
                schema = (await client.get("/openapi.json")).json()
                ops = operations(schema)
                assert len(ops) > 20, service.name
                tokens = {
                    "none": {},
                    "garbage": {"Authorization": "Bearer not-a-jwt"},
                    "expired": {"Authorization": f"Bearer {expired_token(service.settings)}"},
                }
                wrong: list[str] = []
                for kind, auth in tokens.items():
                    for method, path in ops:
                        # no body, no If-Match, no Idempotency-Key: 401 must still come first
                        response = await client.request(method, path, headers=auth)
                        if response.status_code != 401:
                            wrong.append(f"{kind} {method} {path}: {response.status_code}")
                        elif response.headers["content-type"] != "application/problem+json":
                            wrong.append(f"{kind} {method} {path}: not a problem")
                assert wrong == [], f"{service.name}: {wrong}"
                for path in PUBLIC:
                    public = await client.get(path)
                    assert public.status_code in (200, 503), (service.name, path)  # 503: no broker
                audit = service.runtime.tables.audit_log
                async with service.runtime.sessionmaker() as session:
                    rows = (
                        await session.execute(
                            select(audit.c.actor, audit.c.outcome, audit.c.resource_id).where(
                                audit.c.action == "refuse"
                            )
                        )
                    ).all()
                assert len(rows) == 3 * len(ops), service.name
                assert {(r.actor, r.outcome) for r in rows} == {("anonymous", "refused_401")}
                templates = {
                    f"{method.upper()} {template}"
                    for template, item in schema["paths"].items()
                    for method in item
                    if method in {"get", "post", "put", "patch", "delete"}
                }
                assert {r.resource_id for r in rows} == templates  # the route template, recorded


async def test_if_match_is_required_in_openapi_and_missing_means_428_after_authentication(
    database_url: str, other_database_url: str, topic_prefix: str
) -> None:
    async with both_services(database_url, other_database_url, topic_prefix) as services:
        for service in services:
            transport = httpx.ASGITransport(app=service.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
                schema = (await client.get("/openapi.json")).json()
                needing = [
                    (method, template)
                    for template, item in schema["paths"].items()
                    for method, operation in item.items()
                    if any(
                        p["name"] == "If-Match" and p.get("required")
                        for p in operation.get("parameters", [])
                    )
                ]
                assert needing, service.name
                admin = {
                    "Authorization": "Bearer "
                    + AuthConfig.from_settings(service.settings).issue(
                        Principal(
                            subject="a",
                            name="",
                            roles=frozenset({Role.county_admin}),
                            scope="990101",
                        )
                    )
                }
                method, template = needing[0]
                assert "428" in schema["paths"][template][method]["responses"]
                response = await client.request(
                    method.upper(), PARAM.sub("x1", template), headers=admin, json={}
                )
                assert response.status_code == 428, response.text
                assert response.headers["content-type"] == "application/problem+json"
        total = sum(
            1
            for service in services
            for item in service.app.openapi()["paths"].values()
            for operation in item.values()
            for p in operation.get("parameters", [])
            if p["name"] == "If-Match" and p.get("required")
        )
        assert total >= 23
