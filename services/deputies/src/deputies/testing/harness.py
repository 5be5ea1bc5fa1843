"""A deputies service on the real broker and database, for integration tests and the bench."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from contracts import topics
from deputies.adapters.migrations import migrate
from deputies.settings import DeputiesSettings
from deputies.wiring import Core, wire
from kit import testing as kit_testing
from kit.runtime import ServiceRuntime
from kit.testing import bootstrap_servers, count as count, outbox_types as outbox_types


def settings_for(database_url: str, topic_prefix: str, **overrides: Any) -> DeputiesSettings:
    """Settings of a test instance on the real broker and a fresh database."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "kafka_bootstrap_servers": bootstrap_servers(),
        "kafka_topic_prefix": topic_prefix,
        "kafka_topic_partitions": 3,
        "relay_poll_seconds": 0.2,
        "job_interval_seconds": 0.3,
        "job_lease_seconds": 5.0,
        "jwt_secret": "deputies-tests-hs256-secret-of-32-bytes+",
    }
    values.update(overrides)
    return DeputiesSettings.for_service("deputies", **values)


@asynccontextmanager
async def running_core(
    settings: DeputiesSettings, *, relay: bool = True, jobs: bool = False, migrated: bool = False
) -> AsyncIterator[Core]:
    """Migrate (unless done), wire and start an instance without HTTP; stop it afterwards."""
    if not migrated:
        await migrate(settings)
    core = wire(settings)
    await core.runtime.start(relay=relay, consumers=False, jobs=jobs)
    try:
        yield core
    finally:
        await core.runtime.stop()


async def published(
    topic_prefix: str, *, expected: int, within: float = 15.0
) -> list[dict[str, Any]]:
    """Read the deputies topic; return each record's key, partition, offset and envelope."""
    return await kit_testing.published(
        topic_prefix + topics.DEPUTIES, expected=expected, within=within
    )


async def published_all(topic_prefix: str, *, within: float = 30.0) -> list[dict[str, Any]]:
    """Read the deputies topic to its current end (exact; call after ``drained``)."""
    return await kit_testing.published_all(topic_prefix + topics.DEPUTIES, within=within)


async def drained(runtime: ServiceRuntime, *, within: float = 30.0) -> None:
    """Wait until the instance's relay has published every outbox row."""
    await kit_testing.drained(runtime.engine, runtime.tables.outbox, within=within)


@asynccontextmanager
async def sqlite_core(path: str) -> AsyncIterator[Core]:
    """A migrated instance on an SQLite file, started with nothing running (no broker needed)."""
    settings = DeputiesSettings.for_service("deputies", database_url=f"sqlite+aiosqlite:///{path}")
    await migrate(settings)
    core = wire(settings)
    try:
        yield core
    finally:
        await core.runtime.stop()
