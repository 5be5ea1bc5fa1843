"""A cases service on the real broker and database: settings, a running app, tokens, events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from cases.bootstrap import Service, build, migrate
from cases.settings import CasesSettings
from cases.testing.roster import seed_roster
from cases.wiring import Core, wire
from contracts import topics
from kit import testing as kit_testing
from kit.auth.tokens import issue_token
from kit.runtime import ServiceRuntime
from kit.testing import bootstrap_servers, count as count, outbox_types as outbox_types

COUNTY = "990101"
TOWNSHIP = "990101001"
OTHER_TOWNSHIP = "990101002"


def settings_for(database_url: str, topic_prefix: str, **overrides: Any) -> CasesSettings:
    """Settings of a test instance on the real broker and a fresh database."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "kafka_bootstrap_servers": bootstrap_servers(),
        "kafka_topic_prefix": topic_prefix,
        "kafka_topic_partitions": 3,
        "relay_poll_seconds": 0.2,
        "job_interval_seconds": 0.3,
        "job_lease_seconds": 5.0,
        "jwt_secret": "cases-tests-hs256-secret-of-32-bytes-long",
    }
    values.update(overrides)
    return CasesSettings.for_service("cases", **values)


def headers(
    settings: CasesSettings,
    role: str,
    scope: str,
    *,
    deputy_id: str | None = None,
    unit_id: str | None = None,
) -> dict[str, str]:
    """Return the Authorization header of a user with one role and a scope."""
    token = issue_token(
        settings,
        subject=f"{role}-{scope}-{deputy_id or unit_id or 'user'}",
        roles=[role],
        scope=scope,
        deputy_id=deputy_id,
        unit_id=unit_id,
    )
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def running_core(
    settings: CasesSettings,
    *,
    relay: bool = True,
    jobs: bool = False,
    migrated: bool = False,
    consumers: bool = False,
    roster: bool = True,
) -> AsyncIterator[Core]:
    """Migrate (unless done), wire and start an instance without HTTP; stop it afterwards."""
    if not migrated:
        await migrate(settings)
    core = wire(settings)
    if roster and not migrated:
        await seed_roster(core.runtime.uow, core.services.tables)
    await core.runtime.start(relay=relay, consumers=consumers, jobs=jobs)
    try:
        yield core
    finally:
        await core.runtime.stop()


@asynccontextmanager
async def running_app(
    settings: CasesSettings,
    *,
    jobs: bool = False,
    relay: bool = True,
    consumers: bool = False,
    roster: bool = True,
) -> AsyncIterator[tuple[Service, httpx.AsyncClient]]:
    """Migrate, build and start an instance (with the test roster); yield it with a client."""
    await migrate(settings)
    service = build(settings)
    if roster:
        await seed_roster(service.runtime.uow, service.services.tables)
    await service.runtime.start(relay=relay, consumers=consumers, jobs=jobs)
    transport = httpx.ASGITransport(app=service.app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://cases") as client:
            yield service, client
    finally:
        await service.runtime.stop()


async def published(
    topic_prefix: str, *, expected: int, within: float = 15.0
) -> list[dict[str, Any]]:
    """Read the cases topic; return each record's key, partition, offset and envelope."""
    return await kit_testing.published(
        topic_prefix + topics.CASES, expected=expected, within=within
    )


async def published_all(topic_prefix: str, *, within: float = 30.0) -> list[dict[str, Any]]:
    """Read the cases topic to its current end (exact; call after ``drained``)."""
    return await kit_testing.published_all(topic_prefix + topics.CASES, within=within)


async def drained(runtime: ServiceRuntime, *, within: float = 30.0) -> None:
    """Wait until the instance's relay has published every outbox row."""
    await kit_testing.drained(runtime.engine, runtime.tables.outbox, within=within)
