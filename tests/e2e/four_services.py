"""The whole platform as processes: deputies, cases, scoring and notify on one topic prefix.

Each service runs as operators run it (``python -m <service>``) on a database of its own, all four
sharing a fresh topic prefix on the real broker, notify sending e-mail to an aiosmtpd sink. They run
in development mode so a request may pin its day (``X-Dev-Clock``): a case filed in July is overdue
in November without waiting; scheduled checks (the chase) run every 2 s.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from processes import SECRET

from county.api import Platform, Urls
from kit.testing import (
    bootstrap_servers,
    free_port,
    fresh_database,
    published_all,
    service_process,
    unique,
    wait_until,
)
from notify.testing.servers import MailSink, smtp_server

SERVICES = ("deputies", "cases", "scoring", "notify")


@dataclass(frozen=True)
class Running:
    """The four running services: their URLs, the topic prefix and notify's mail sink."""

    urls: Urls
    prefix: str
    sink: MailSink
    processes: Mapping[str, asyncio.subprocess.Process] = field(default_factory=dict)
    databases: Mapping[str, str] = field(default_factory=dict)
    """Each service's process and database URL (the bench samples memory and reads tables)."""

    def client(self) -> Platform:
        """Return an HTTP client of the four services signing tokens with the test secret."""
        return Platform(self.urls, secret=SECRET)

    async def events(self, topic: str) -> list[dict[str, Any]]:
        """Return the envelopes on one of the platform's topics, read to its end now."""
        return [r["envelope"] for r in await published_all(self.prefix + topic)]


@asynccontextmanager
async def four_services(
    logs: Path | None = None, env_of: Mapping[str, Mapping[str, str]] | None = None
) -> AsyncIterator[Running]:
    """Start the four services on fresh databases and one fresh prefix; stop them with SIGTERM.

    ``env_of`` adds environment variables per service (e.g. notify's ``NOTIFY_ROUTES``).
    """
    prefix = unique("e2e-county") + "."
    with smtp_server() as (sink, smtp_port):
        async with AsyncExitStack() as stack:
            ports = {name: free_port() for name in SERVICES}
            processes: list[asyncio.subprocess.Process] = []
            databases: dict[str, str] = {}
            for name in SERVICES:
                url = databases[name] = await stack.enter_async_context(fresh_database())
                upper = name.upper()
                env = {
                    f"{upper}_DATABASE_URL": url,
                    f"{upper}_HTTP_PORT": str(ports[name]),
                    "KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers(),
                    "KAFKA_TOPIC_PREFIX": prefix,
                    "JWT_SECRET": SECRET,
                    "DEV_MODE": "true",
                    "RELAY_POLL_SECONDS": "0.2",
                    "JOB_INTERVAL_SECONDS": "2",
                    "OUTBOX_GAUGE_SECONDS": "1",
                    "NOTIFY_SMTP_HOST": "127.0.0.1",
                    "NOTIFY_SMTP_PORT": str(smtp_port),
                    "LOG_FORMAT": "text",
                    **(env_of or {}).get(name, {}),
                }
                log: Any = asyncio.subprocess.DEVNULL
                if logs is not None:
                    log = stack.enter_context((logs / f"{name}.log").open("ab"))
                processes.append(
                    await stack.enter_async_context(service_process(name, env, log=log))
                )
            urls = Urls(**{name: f"http://127.0.0.1:{port}" for name, port in ports.items()})
            await asyncio.gather(*(_ready(urls.of(name)) for name in SERVICES))
            yield Running(
                urls, prefix, sink, dict(zip(SERVICES, processes, strict=True)), databases
            )
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                await asyncio.wait_for(process.wait(), timeout=40)


async def _ready(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:

        async def ready() -> bool:
            try:
                return (await client.get("/readyz")).status_code == 200
            except httpx.TransportError:
                return False

        await wait_until(ready, within=300, interval=0.5)


def logs_dir() -> Path | None:
    """Return where to keep the services' logs (``E2E_LOGS``), if anywhere."""
    where = os.environ.get("E2E_LOGS")
    if not where:
        return None
    path = Path(where)
    path.mkdir(parents=True, exist_ok=True)
    return path
