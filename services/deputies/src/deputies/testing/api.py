"""The HTTP side of tests: a running app, an in-process client and bearer tokens per role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from deputies.adapters.migrations import migrate
from deputies.bootstrap import Service, build
from deputies.settings import DeputiesSettings
from kit.auth.tokens import issue_token


def headers(
    settings: DeputiesSettings, role: str, scope: str, *, deputy_id: str | None = None
) -> dict[str, str]:
    """Return the Authorization header of a user with one role and a scope."""
    token = issue_token(
        settings,
        subject=f"{role}-{scope}" + (f"-{deputy_id}" if deputy_id else ""),
        roles=[role],
        scope=scope,
        deputy_id=deputy_id,
    )
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def running_app(
    settings: DeputiesSettings, *, jobs: bool = False, relay: bool = True
) -> AsyncIterator[tuple[Service, httpx.AsyncClient]]:
    """Migrate, build and start an instance; yield it with a client talking to its app."""
    await migrate(settings)
    service = build(settings)
    await service.runtime.start(relay=relay, consumers=False, jobs=jobs)
    transport = httpx.ASGITransport(app=service.app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://deputies") as client:
            yield service, client
    finally:
        await service.runtime.stop()
