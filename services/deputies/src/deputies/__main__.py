"""Run the deputies service: ``python -m deputies`` (migrates, then serves HTTP)."""

from __future__ import annotations

import asyncio

import uvicorn

from deputies.bootstrap import build, migrate
from deputies.settings import DeputiesSettings
from kit.logging import configure_logging


def main() -> None:
    """Read settings, migrate the database, serve the API with the relay and the jobs."""
    settings = DeputiesSettings.for_service("deputies")
    configure_logging(
        service=settings.service_name, level=settings.log_level, fmt=settings.log_format
    )
    asyncio.run(migrate(settings))
    service = build(settings)
    uvicorn.run(
        service.app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
