"""``python -m <service>``: read settings, configure logging, migrate, serve (nothing at import).

``python -m <service> relay`` runs only the service's outbox relay, in a process of its own, for
an HTTP process started with ``RELAY_IN_PROCESS=false``: the relay is then neither slowed by the
requests sharing its event loop nor takes their CPU. Once relaying it serves its metrics
(``/metrics``) on ``HTTP_PORT``; it ends on SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from fastapi import FastAPI
from prometheus_client import start_http_server
from uvicorn.importer import import_from_string

from kit.logging import configure_logging
from kit.migrate import upgrade
from kit.runtime import ServiceRuntime
from kit.serve import serve
from kit.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


def configured(load: Callable[[], S]) -> S:
    """Read a service's settings and configure its logging from them."""
    settings = load()
    configure_logging(
        service=settings.service_name, level=settings.log_level, fmt=settings.log_format
    )
    return settings


async def migrate(migrations: Path, settings: ServiceSettings) -> None:
    """Bring the service's database to its latest revision (SQLite or PostgreSQL)."""
    await upgrade(migrations, settings.database_url)


def main(
    load: Callable[[], S],
    *,
    app: str,
    migrations: Path,
    prepare: Callable[[S], Coroutine[Any, Any, object]] | None = None,
) -> None:
    """Read settings, migrate the database, run ``prepare`` (data a new version derives once),
    serve the app factory ``app`` ("module:function"); with the argument ``relay``, relay."""
    if sys.argv[1:] == ["relay"]:
        asyncio.run(relay_only(app))
        return
    settings = configured(load)
    asyncio.run(migrate(migrations, settings))
    if prepare is not None:
        asyncio.run(prepare(settings))
    serve(settings, app)


async def relay_only(app: str) -> None:
    """Build the service from the app factory ``app``; run its relay alone until a signal."""
    built = import_from_string(app)()
    assert isinstance(built, FastAPI)
    runtime: ServiceRuntime = built.state.runtime
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    settings = runtime.settings
    await runtime.start(relay=True, consumers=False, jobs=False)
    server, thread = start_http_server(  # answering: the relay runs
        settings.http_port, addr=settings.http_host, registry=runtime.registry
    )
    logging.getLogger(__name__).info(
        "outbox relay of %s runs alone (metrics on port %d)",
        settings.service_name,
        settings.http_port,
    )
    try:
        await stop.wait()
    finally:
        await runtime.stop()
        server.shutdown()
        thread.join()
