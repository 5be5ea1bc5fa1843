"""A sender process's listening connection, killed, is opened again; the loss is counted."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import cast

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import text

from kit.db import make_engine
from kit.testing import wait_until
from notify.handlers.context import Services
from notify.handlers.sending import SENDER_CHANNEL, woken_by_commits
from notify.metrics import make_notify_metrics

pytestmark = pytest.mark.integration

LISTENERS = text(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'"
)


async def test_a_killed_listening_connection_is_opened_again_and_counted(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    registry = CollectorRegistry()
    svc = SimpleNamespace(wakeup=asyncio.Event(), metrics=make_notify_metrics(registry))
    lost = "notify_sender_listen_lost_total"

    async def listeners() -> list[int]:
        async with engine.connect() as conn:
            return [int(pid) for pid in (await conn.execute(LISTENERS)).scalars()]

    async def listening() -> bool:
        return bool(await listeners())

    async def counted() -> bool:
        return registry.get_sample_value(lost) == 1

    async def notified() -> bool:
        svc.wakeup.clear()
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_notify(:c, '')"), {"c": SENDER_CHANNEL})
            await conn.commit()
        try:
            await asyncio.wait_for(svc.wakeup.wait(), 0.5)
        except TimeoutError:
            return False
        return True

    try:
        async with woken_by_commits(cast(Services, svc), engine, check_seconds=0.05):
            await wait_until(listening, within=10)
            assert await notified()
            [first] = await listeners()
            async with engine.connect() as conn:
                await conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": first})
                await conn.commit()
            await wait_until(counted, within=10)
            await wait_until(notified, within=10, interval=0.1)  # listening again
            assert first not in await listeners()
            assert registry.get_sample_value(lost) == 1
    finally:
        await engine.dispose()
