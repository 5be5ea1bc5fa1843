"""The sender in a process of its own: ``NOTIFY_SENDER_IN_PROCESS=false`` and ``python -m notify sender``."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx
import pytest
from notify_harness import add_deputy, envelope, publish, replied, rows, running_core, settings_for

from kit.testing import free_port, service_process, stop_process, unique, wait_until
from notify.testing.servers import smtp_server

pytestmark = pytest.mark.integration

EVENTS = 12
LATER = 5
POLL = 60.0
"""The sender process's idle poll: what it sends sooner was woken by the intake's NOTIFY."""
SENT = 'notify_notifications_total{channel="email",result="sent"}'


def _env(settings_url: str, prefix: str, port: int, smtp_port: int) -> dict[str, str]:
    settings = settings_for(settings_url, prefix, smtp_port=smtp_port)
    return {
        "NOTIFY_DATABASE_URL": settings_url,
        "NOTIFY_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "NOTIFY_KAFKA_TOPIC_PREFIX": prefix,
        "NOTIFY_KAFKA_TOPIC_PARTITIONS": "3",
        "NOTIFY_HTTP_PORT": str(port),
        "NOTIFY_JWT_SECRET": settings.jwt_secret.get_secret_value(),
        "NOTIFY_LOG_LEVEL": "WARNING",
        "NOTIFY_SMTP_PORT": str(smtp_port),
        "NOTIFY_SENDER_IN_PROCESS": "false",
        "NOTIFY_SENDER_POLL_SECONDS": "0.1",
        "NOTIFY_JOB_INTERVAL_SECONDS": "0.2",
        "NOTIFY_JOB_LEASE_SECONDS": "5",
        "NOTIFY_RELAY_POLL_SECONDS": "0.2",
    }


def _sample(metrics: str, name: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines() if line.startswith(name)
    )


async def test_http_process_without_sender_leaves_deliveries_the_sender_process_sends_once(
    database_url: str, topic_prefix: str, tmp_path: Path
) -> None:
    """Nothing is sent before the sender process starts; then each once, later ones woken."""
    port, sender_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    with (
        smtp_server() as (sink, smtp_port),
        (tmp_path / "service.log").open("wb") as log,
    ):
        env = _env(database_url, topic_prefix, port, smtp_port)
        settings = settings_for(database_url, topic_prefix, smtp_port=smtp_port)
        async with (
            service_process("notify", env, log=log, ready_at=base, ready_within=120),
            running_core(settings, consumers=False, relay=False, migrated=True) as core,
            httpx.AsyncClient(base_url=base, timeout=30) as client,
        ):
            deputies = [unique("D-") for _ in range(EVENTS)]
            for d in deputies:
                await add_deputy(core, d, email=f"{d.lower()}@example.cn")
            await publish(topic_prefix, *(envelope(replied(d)) for d in deputies))

            async def taken_in() -> bool:
                return len(await rows(core, channel="email", status="pending")) == EVENTS

            await wait_until(taken_in, within=60)
            await asyncio.sleep(1.0)  # ten sender polls: nobody sends
            assert len(await rows(core, channel="email", status="pending")) == EVENTS
            assert sink.received() == []

            sender_env = {
                **os.environ,
                **env,
                "NOTIFY_HTTP_PORT": str(sender_port),
                "NOTIFY_SENDER_POLL_SECONDS": str(POLL),
                "NOTIFY_JOB_LEASE_SECONDS": str(4 * POLL),  # one turn: no new claim at its start
            }
            sender = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "notify", "sender", env=sender_env,
                stdout=log, stderr=log,
            )  # fmt: skip
            try:
                async with httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{sender_port}", timeout=10
                ) as sender_client:

                    async def sending() -> bool:  # its metrics answer once it sends
                        assert sender.returncode is None, "python -m notify sender exited"
                        try:
                            return (await sender_client.get("/metrics")).status_code == 200
                        except httpx.TransportError:
                            return False

                    await wait_until(sending, within=120, interval=0.3)

                    async def all_sent() -> bool:
                        return len(await rows(core, channel="email", status="sent")) == EVENTS

                    await wait_until(all_sent, within=60)
                    later = [unique("D-") for _ in range(LATER)]
                    for d in later:
                        await add_deputy(core, d, email=f"{d.lower()}@example.cn")
                    await publish(topic_prefix, *(envelope(replied(d)) for d in later))

                    async def woken() -> bool:  # long before the sender's poll
                        done = await rows(core, channel="email", status="sent")
                        return len(done) == EVENTS + LATER

                    await wait_until(woken, within=POLL / 3)
                    sender_metrics = (await sender_client.get("/metrics")).text
                    # the kit's probes, as an HTTP process has them (compose and k8s check them)
                    assert (await sender_client.get("/livez")).status_code == 200
                    ready = await sender_client.get("/readyz")
                    assert ready.status_code == 200, ready.text
                    assert ready.json()["checks"]["database"] is True
                assert await stop_process(sender) == 0
            finally:
                if sender.returncode is None:
                    sender.kill()
                    await sender.wait()
            http_metrics = (await client.get("/metrics")).text
            sent_rows = await rows(core, channel="email", status="sent")
    assert _sample(sender_metrics, SENT) == EVENTS + LATER
    assert _sample(http_metrics, SENT) == 0
    ids = [m["X-Notify-Delivery"] for m in sink.received()]
    assert sorted(ids) == sorted(r.delivery_id for r in sent_rows)
    assert len(set(ids)) == EVENTS + LATER
