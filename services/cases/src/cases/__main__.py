"""Run the cases service: ``python -m cases`` (migrates, then serves HTTP)."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from cases.bootstrap import build, migrate
from cases.settings import CasesSettings
from kit.logging import configure_logging
from kit.serve import serve


def _settings() -> CasesSettings:
    settings = CasesSettings.for_service("cases")
    configure_logging(
        service=settings.service_name, level=settings.log_level, fmt=settings.log_format
    )
    return settings


def create_app() -> FastAPI:
    """Build the app of one worker (uvicorn calls this in each worker process)."""
    return build(_settings()).app


def main() -> None:
    """Read settings, migrate the database, serve the API with the relay and the scheduler."""
    settings = _settings()
    asyncio.run(migrate(settings))
    serve(settings, "cases.__main__:create_app")


if __name__ == "__main__":
    main()
