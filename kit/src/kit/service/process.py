"""``python -m <service>``: read settings, configure logging, migrate, serve (nothing at import).

``python -m <service> relay`` runs only the service's outbox relay, in a process of its own, for
an HTTP process started with ``RELAY_IN_PROCESS=false``: the relay is then neither slowed by the
requests sharing its event loop nor takes their CPU. Once relaying it serves the kit's probes
(``/livez``, ``/readyz``, ``/metrics``: ``probes``) on ``HTTP_PORT``, so orchestrators check it as
they check an HTTP process; it ends on SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
import uvloop
from fastapi import FastAPI
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.importer import import_from_string

from kit.health import health_router
from kit.logging import configure_logging
from kit.migrate import upgrade
from kit.runtime import ServiceRuntime, settle_heap
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
        uvloop.run(relay_only(app))  # the loop the HTTP processes run on (kit.serve)
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
    settle_heap()  # as an HTTP process's lifespan does: start-up out of full collections
    try:
        async with probes(runtime, app=built):
            logging.getLogger(__name__).info(
                "outbox relay of %s runs alone (probes on port %d)",
                settings.service_name,
                settings.http_port,
            )
            await stop.wait()
    finally:
        await runtime.stop()


PROBES = frozenset({"/livez", "/readyz", "/metrics"})
"""The routes a process without an API still answers."""


def _only_probes(app: ASGIApp) -> ASGIApp:
    """Return ``app`` answering the probe paths only (404 for any other)."""
    not_found = PlainTextResponse("Not Found", status_code=404)

    async def probes_only(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in PROBES:
            await not_found(scope, receive, send)
            return
        await app(scope, receive, send)

    return probes_only


@asynccontextmanager
async def probes(runtime: ServiceRuntime, *, app: FastAPI | None = None) -> AsyncIterator[None]:
    """Serve ``/livez``, ``/readyz`` and ``/metrics`` of a process without an API, on ``HTTP_PORT``.

    For the relay and sender processes: the same probes as an HTTP process, so compose and
    Kubernetes check them alike. ``app``: the service's built app, whose probe routes are served
    (and no other); without it the kit's health router is made for ``runtime``. Signals stay with
    the caller's loop handlers (uvicorn captures them while serving and raises them again when it
    stops, which reaches those handlers).
    """
    settings = runtime.settings
    served: ASGIApp
    if app is None:
        served = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
        served.include_router(
            health_router(
                service=settings.service_name,
                engine=runtime.engine,
                broker=runtime.broker,
                registry=runtime.registry,
                metrics=runtime.metrics,
                details=runtime.readiness_details,
            )
        )
    else:
        served = _only_probes(app)
    server = uvicorn.Server(
        uvicorn.Config(
            served,
            host=settings.http_host,
            port=settings.http_port,
            log_config=None,
            access_log=False,
            lifespan="off",
        )
    )
    serving = asyncio.create_task(server.serve(), name="probes")
    try:
        yield
    finally:
        server.should_exit = True
        await serving
