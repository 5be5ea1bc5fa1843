"""Run the cases service: ``python -m cases`` (migrates, then serves HTTP)."""

from __future__ import annotations

import asyncio

import uvicorn

from cases.bootstrap import build, migrate
from cases.settings import CasesSettings
from kit.logging import configure_logging


def main() -> None:
    """Read settings, migrate the database, serve the API with the relay and the scheduler."""
    settings = CasesSettings.for_service("cases")
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
