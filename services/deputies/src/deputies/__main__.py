"""Run the deputies service: ``python -m deputies`` (migrates, then serves HTTP)."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from deputies.bootstrap import build, migrate
from deputies.settings import DeputiesSettings
from kit.logging import configure_logging
from kit.serve import serve


def _settings() -> DeputiesSettings:
    settings = DeputiesSettings.for_service("deputies")
    configure_logging(
        service=settings.service_name, level=settings.log_level, fmt=settings.log_format
    )
    return settings


def create_app() -> FastAPI:
    """Build the app of one worker (uvicorn calls this in each worker process)."""
    return build(_settings()).app


def main() -> None:
    """Read settings, migrate the database, serve the API with the relay and the jobs."""
    settings = _settings()
    asyncio.run(migrate(settings))
    serve(settings, "deputies.__main__:create_app")


if __name__ == "__main__":
    main()
