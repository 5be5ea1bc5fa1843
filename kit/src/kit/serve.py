"""Serve a service's app with uvicorn: in-process, or in several worker processes."""

from __future__ import annotations

import uvicorn

from kit.auth.tokens import check_secret
from kit.settings import ServiceSettings


def serve(settings: ServiceSettings, factory: str) -> None:
    """Serve the app ``factory`` ("package.module:function") with ``settings.http_workers``.

    Each worker builds its own runtime from the environment: the outbox relay elects one leader
    through a PostgreSQL advisory lock and scheduled jobs take a lease, so extra workers add
    request capacity without doubling publications or announcements. The built-in development
    secret is refused here already (unless ``dev_mode``), before any worker starts. The event
    loop is uvloop and HTTP is parsed by httptools (both pinned dependencies of the kit).
    """
    check_secret(settings.jwt_secret.get_secret_value(), dev_mode=settings.dev_mode)
    uvicorn.run(
        factory,
        factory=True,
        host=settings.http_host,
        port=settings.http_port,
        workers=settings.http_workers,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
    )
