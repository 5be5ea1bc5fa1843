"""The outbox relay in a process of its own: ``RELAY_IN_PROCESS=false`` and ``python -m cases relay``."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from cases.testing import bodies
from cases.testing.harness import TOWNSHIP, headers, settings_for
from contracts import topics
from kit.testing import (
    bootstrap_servers,
    free_port,
    published_all,
    service_process,
    stop_process,
    wait_until,
)

pytestmark = pytest.mark.integration

SECRET = "cases-relay-process-hs256-secret-of-32-bytes"
FILINGS = 5


def _env(url: str, prefix: str, port: int) -> dict[str, str]:
    return {
        "CASES_DATABASE_URL": url,
        "CASES_KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers(),
        "CASES_KAFKA_TOPIC_PREFIX": prefix,
        "CASES_HTTP_PORT": str(port),
        "CASES_JWT_SECRET": SECRET,
        "CASES_LOG_LEVEL": "WARNING",
        "CASES_RELAY_IN_PROCESS": "false",
        "CASES_RELAY_POLL_SECONDS": "0.2",
        "CASES_OUTBOX_GAUGE_SECONDS": "0.2",
    }


async def _unpublished(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
    finally:
        await conn.close()


def _sample(metrics: str, name: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines() if line.startswith(name)
    )


async def test_http_process_without_relay_leaves_rows_that_the_relay_process_publishes(
    database_url: str, topic_prefix: str, tmp_path: Path
) -> None:
    port, relay_port = free_port(), free_port()
    env = _env(database_url, topic_prefix, port)
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    base = f"http://127.0.0.1:{port}"
    with (tmp_path / "service.log").open("wb") as log:
        async with service_process("cases", env, log=log, ready_at=base, ready_within=120):
            seed = await asyncpg.connect(dsn)  # the roster projection intake checks
            try:
                await seed.execute(
                    "INSERT INTO townships (code, name, kind) VALUES ($1, '青石镇', 'town')",
                    TOWNSHIP,
                )
                await seed.execute(
                    "INSERT INTO deputies (deputy_id, township, name, status, version)"
                    " VALUES ('dep-1', $1, 'dep-1', 'active', 1)",
                    TOWNSHIP,
                )
            finally:
                await seed.close()
            auth = headers(
                settings_for(database_url, topic_prefix, jwt_secret=SECRET),
                "deputy",
                TOWNSHIP,
                deputy_id="dep-1",
            )
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                answers = await asyncio.gather(
                    *(
                        client.post(
                            "/api/v1/suggestions",
                            json=bodies.suggestion("dep-1", TOWNSHIP, title=f"关于第{i}条路的建议"),
                            headers=auth,
                        )
                        for i in range(FILINGS)
                    )
                )
                assert [a.status_code for a in answers] == [201] * FILINGS, answers[0].text
                filed = {a.json()["case_id"] for a in answers}

                async def gauged() -> bool:  # the HTTP process still reads the backlog gauges
                    text = (await client.get("/metrics")).text
                    return _sample(text, 'kit_outbox_backlog{service="cases"}') == FILINGS

                await wait_until(gauged, within=30)
                await asyncio.sleep(1.0)  # five poll periods: nobody relays
                assert await _unpublished(dsn) == FILINGS

                relay_env = {**os.environ, **env, "CASES_HTTP_PORT": str(relay_port)}
                relay = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "cases", "relay", env=relay_env, stdout=log, stderr=log
                )
                try:
                    async with httpx.AsyncClient(
                        base_url=f"http://127.0.0.1:{relay_port}", timeout=10
                    ) as relay_client:

                        async def relaying() -> bool:  # its metrics answer once it relays
                            assert relay.returncode is None, "python -m cases relay exited"
                            try:
                                return (await relay_client.get("/metrics")).status_code == 200
                            except httpx.TransportError:
                                return False

                        await wait_until(relaying, within=120, interval=0.3)

                        async def drained() -> bool:
                            return await _unpublished(dsn) == 0

                        await wait_until(drained, within=60)
                        metrics = (await relay_client.get("/metrics")).text
                        assert (await relay_client.get("/livez")).status_code == 200
                        ready = await relay_client.get("/readyz")
                        assert ready.status_code == 200, ready.text
                    assert _sample(metrics, "kit_relay_published_total") == FILINGS
                    assert await stop_process(relay) == 0
                finally:
                    if relay.returncode is None:
                        relay.kill()
                        await relay.wait()
    events = await published_all(topic_prefix + topics.CASES)
    submitted = [e["envelope"] for e in events if e["envelope"]["type"].endswith(".submitted")]
    assert {e["data"]["case_id"] for e in submitted} == filed
    assert len(submitted) == FILINGS, json.dumps(submitted, ensure_ascii=False)[:2000]
