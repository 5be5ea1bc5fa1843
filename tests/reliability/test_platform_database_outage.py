"""PostgreSQL stopped under the four services: 503 (never 500), /readyz failing, recovery without a restart.

The services run as processes with their databases on a PostgreSQL server of the test's own
(deploy/postgres/postgres.sh in a temporary directory; the shared server is never stopped). The
server is stopped: every service answers its API with 503 and ``Retry-After``, /readyz with 503,
/livez with 200. The server is started again: the same processes (no restart) answer as before.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
from reliability_harness import SERVICES, Instance, PrivatePostgres, bearer, platform, write_report

from kit.testing import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.reliability, pytest.mark.timeout(900)]

READS = {
    "deputies": "/api/v1/townships",
    "cases": "/api/v1/digests",
    "scoring": "/api/v1/proposals?scope=990101",
    "notify": "/api/v1/directory/units",
}
"""A read of each service that needs its database."""


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL server of the test's own."""
    server = PrivatePostgres()
    try:
        server.start()
        yield server
    finally:
        server.close()


async def answer(instance: Instance, path: str) -> httpx.Response:
    """GET a path of an instance as a county administrator."""
    async with httpx.AsyncClient(base_url=instance.base, timeout=20) as client:
        return await client.get(path, headers=bearer())


async def test_every_service_answers_503_while_postgres_is_down_and_recovers_alone(
    postgres: PrivatePostgres,
) -> None:
    async with platform("database-outage", database_url=postgres.url) as p:
        started = await asyncio.gather(*(p.start(name) for name in SERVICES))
        running = dict(zip(SERVICES, started, strict=True))
        pids = {name: i.process.pid for name, i in running.items() if i.process}
        before: dict[str, int] = {}
        for name, instance in running.items():
            # an answer the database gave (a 404 "no rule set yet" is one): the same after recovery
            before[name] = (await answer(instance, READS[name])).status_code
            assert before[name] < 500, (name, before[name])

        postgres.stop()
        down_at = time.monotonic()
        for name, instance in running.items():
            read = await answer(instance, READS[name])
            assert read.status_code == 503, (name, read.status_code, read.text[:300])
            assert read.headers.get("retry-after"), name
            assert await instance.status("/readyz") == 503, name
            assert await instance.status("/livez") == 200, name

        postgres.start()
        up_at = time.monotonic()
        recovered: dict[str, float] = {}
        for name, instance in running.items():
            await instance.ready(within=60)

            async def reads_again(instance: Instance = instance, name: str = name) -> bool:
                return (await answer(instance, READS[name])).status_code == before[name]

            await wait_until(reads_again, within=30, interval=0.2)
            recovered[name] = round(time.monotonic() - up_at, 2)
            assert instance.process is not None
            assert instance.process.pid == pids[name]  # the same process: no restart
            assert instance.process.returncode is None
    write_report(
        "database-outage",
        {"outage_s": round(up_at - down_at, 1), "reads_again_after_restart_s": recovered},
    )
