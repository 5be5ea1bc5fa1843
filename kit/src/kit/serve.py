"""Serve a service's app with uvicorn: in-process, or in several worker processes."""

from __future__ import annotations

import gc
from typing import Any

import uvicorn
from uvicorn.importer import import_from_string

from kit.auth.tokens import check_secret
from kit.settings import ServiceSettings


def serve(settings: ServiceSettings, factory: str) -> None:
    """Serve the app ``factory`` ("package.module:function") with ``settings.http_workers``.

    Each worker builds its own runtime from the environment: the outbox relay elects one leader
    through a PostgreSQL advisory lock and scheduled jobs take a lease, so extra workers add
    request capacity without doubling publications or announcements. The built-in development
    secret is refused here already (unless ``dev_mode``), before any worker starts. The event
    loop is uvloop and HTTP is parsed by httptools (both pinned dependencies of the kit). With
    one worker (the default) the app is built here and what start-up made is frozen
    (``settle_heap``) before serving.
    """
    check_secret(settings.jwt_secret.get_secret_value(), dev_mode=settings.dev_mode)
    options: dict[str, Any] = {
        "host": settings.http_host,
        "port": settings.http_port,
        "loop": "uvloop",
        "http": "httptools",
        "log_config": None,
        "access_log": False,
    }
    if settings.http_workers == 1:
        app = import_from_string(factory)()
        settle_heap()
        uvicorn.run(app, **options)
        return
    uvicorn.run(factory, factory=True, workers=settings.http_workers, **options)


def settle_heap() -> None:
    """Keep what start-up made (imports, the built app: most of a heap) out of full collections.

    A service holds ~200,000 objects once started; a full collection walked them all, stopping
    the event loop for 125-370 ms on the 2-core machine (consumers, relay and requests alike),
    5-10 ms after ``gc.freeze()``. Called once per process after start-up, before serving (the
    garbage of start-up collected first); objects made later are collected as before.
    """
    gc.collect()
    gc.freeze()
