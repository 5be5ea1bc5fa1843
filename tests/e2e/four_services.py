"""The whole platform as processes: deputies, cases, scoring and notify on one topic prefix.

Each service runs as operators run it (``python -m <service>``) on a database of its own, all four
sharing a fresh topic prefix on the real broker, notify sending e-mail to an aiosmtpd sink (or, for
the bench, to an SMTP server in a process of its own, so its parsing costs the stage nothing). They run
in development mode so a request may pin its day (``X-Dev-Clock``): a case filed in July is overdue
in November without waiting; scheduled checks (the chase) run every 2 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from processes import SECRET

from county.api import Platform, Urls
from kit.testing import (
    bootstrap_servers,
    delete_topics,
    free_port,
    fresh_database,
    published_all,
    service_process,
    stop_process,
    unique,
    wait_ready,
)
from notify.testing.servers import MailSink, smtp_server
from notify.testing.sink_process import KINDS, Received, smtp_process

SERVICES = ("deputies", "cases", "scoring", "notify")
SENDER = "notify sender"
"""The name of notify's sender process when it runs apart (``python -m notify sender``)."""


@dataclass(frozen=True)
class Running:
    """The four running services: their URLs, the topic prefix and notify's mail sink."""

    urls: Urls
    prefix: str
    sink: MailSink
    """The messages notify sent, parsed (empty when the mail server runs apart: ``received``)."""
    processes: Mapping[str, asyncio.subprocess.Process] = field(default_factory=dict)
    databases: Mapping[str, str] = field(default_factory=dict)
    """Each service's process and database URL (the bench samples memory and reads tables)."""
    probes: Mapping[str, str] = field(default_factory=dict)
    """Each process's base URL serving ``/metrics`` and ``/readyz`` (the sender's too), by name."""
    received: Received | None = None
    """The delivery ids and arrival times the mail server apart reported, if it runs apart."""

    def client(self) -> Platform:
        """Return an HTTP client of the four services signing tokens with the test secret."""
        return Platform(self.urls, secret=SECRET)

    async def events(self, topic: str) -> list[dict[str, Any]]:
        """Return the envelopes on one of the platform's topics, read to its end now."""
        return [r["envelope"] for r in await published_all(self.prefix + topic)]


@asynccontextmanager
async def four_services(
    logs: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
    *,
    notify_sender_process: bool = False,
    relays_apart: Collection[str] = (),
    mail_server: str = "thread",
) -> AsyncIterator[Running]:
    """Start the four services on fresh databases and one fresh prefix; stop them with SIGTERM.

    ``extra_env`` adds or overrides settings of every service (``NOTIFY_ROUTES``, ...). With
    ``notify_sender_process`` notify sends from ``python -m notify sender`` beside its HTTP
    process (``NOTIFY_SENDER_IN_PROCESS=false``), as OPERATIONS.md "Scaling" describes; it is
    ``processes["notify sender"]``. The services named in ``relays_apart`` relay their outbox
    from ``python -m <service> relay`` (``RELAY_IN_PROCESS=false`` in the HTTP process):
    ``processes["<service> relay"]``. Each process apart is ready (``/readyz``) before the
    block starts. ``mail_server``: ``thread`` (aiosmtpd in this process, each message parsed into
    ``sink``) or one of ``KINDS`` in a process of its own (``received``: delivery ids and times).
    """
    prefix = unique("e2e-county") + "."
    async with AsyncExitStack() as stack:
        received: Received | None = None
        if mail_server == "thread":
            sink, smtp_port = stack.enter_context(smtp_server())
        elif mail_server in KINDS:
            sink = MailSink()
            received, smtp_port = await stack.enter_async_context(smtp_process(mail_server))
        else:
            raise ValueError(f"mail_server: thread or one of {KINDS}, not {mail_server!r}")
        ports = {name: free_port() for name in SERVICES}
        processes: list[asyncio.subprocess.Process] = []
        databases: dict[str, str] = {}
        apart: dict[str, tuple[list[str], dict[str, str]]] = {}
        """Processes beside the HTTP ones: name -> (their arguments, their environment)."""
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
                **(extra_env or {}),
            }
            if name in relays_apart:
                env[f"{upper}_RELAY_IN_PROCESS"] = "false"
                port = {f"{upper}_HTTP_PORT": str(free_port())}
                apart[f"{name} relay"] = ([name, "relay"], env | port)
            if name == "notify" and notify_sender_process:
                env["NOTIFY_SENDER_IN_PROCESS"] = "false"
                port = {"NOTIFY_HTTP_PORT": str(free_port())}
                apart[SENDER] = (["notify", "sender"], env | port)
            log: Any = asyncio.subprocess.DEVNULL
            if logs is not None:
                log = stack.enter_context((logs / f"{name}.log").open("ab"))
            processes.append(await stack.enter_async_context(service_process(name, env, log=log)))
        urls = Urls(**{name: f"http://127.0.0.1:{port}" for name, port in ports.items()})
        await asyncio.gather(
            *(
                wait_ready(urls.of(name), process, within=300, name=name)
                for name, process in zip(SERVICES, processes, strict=True)
            )
        )
        running = dict(zip(SERVICES, processes, strict=True))
        probes = {name: urls.of(name) for name in SERVICES}
        for other, (args, other_env) in apart.items():
            log = asyncio.subprocess.DEVNULL
            if logs is not None:
                log = stack.enter_context((logs / f"{other.replace(' ', '-')}.log").open("ab"))
            started = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                *args,
                env={**os.environ, **other_env},
                stdout=log,
                stderr=log,
            )
            stack.push_async_callback(_killed, started)
            running[other] = started
            processes.append(started)
            upper = args[0].upper()
            probes[other] = f"http://127.0.0.1:{other_env[f'{upper}_HTTP_PORT']}"
        await asyncio.gather(
            *(wait_ready(probes[o], running[o], within=300, name=o) for o in apart)
        )
        yield Running(urls, prefix, sink, running, databases, probes, received)
        await asyncio.gather(*(stop_process(process) for process in processes))
        with contextlib.suppress(Exception):  # a broker's leftover topics slow later runs
            await delete_topics({prefix})


async def _killed(process: asyncio.subprocess.Process) -> None:
    """Kill a process that is still running (the block ended without stopping it)."""
    if process.returncode is None:
        process.kill()
        await process.wait()


def logs_dir() -> Path | None:
    """Return where to keep the services' logs (``E2E_LOGS``), if anywhere."""
    where = os.environ.get("E2E_LOGS")
    if not where:
        return None
    path = Path(where)
    path.mkdir(parents=True, exist_ok=True)
    return path
