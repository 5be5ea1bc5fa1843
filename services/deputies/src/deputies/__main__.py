"""Run the deputies service: ``python -m deputies`` (migrates, then serves HTTP)."""

from __future__ import annotations

from fastapi import FastAPI

from deputies.bootstrap import MIGRATIONS, build
from deputies.settings import DeputiesSettings
from kit.service import process


def settings() -> DeputiesSettings:
    """Read the service's settings and configure logging."""
    return process.configured(lambda: DeputiesSettings.for_service("deputies"))


def create_app() -> FastAPI:
    """Build the app of one worker (uvicorn calls this in each worker process)."""
    return build(settings()).app


def main() -> None:
    """Migrate the database, serve the API with the relay and the jobs."""
    process.main(settings, app="deputies.__main__:create_app", migrations=MIGRATIONS)


if __name__ == "__main__":
    main()
