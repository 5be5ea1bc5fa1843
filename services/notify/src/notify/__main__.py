"""Run the notify service: ``python -m notify`` (migrates, then serves HTTP)."""

from __future__ import annotations

from fastapi import FastAPI

from kit.service import process
from notify.bootstrap import MIGRATIONS, build
from notify.settings import NotifySettings


def settings() -> NotifySettings:
    """Read the service's settings and configure logging."""
    return process.configured(lambda: NotifySettings.for_service("notify"))


def create_app() -> FastAPI:
    """Build the app of one worker (uvicorn calls this in each worker process)."""
    return build(settings()).app


def main() -> None:
    """Migrate the database, serve the API with the consumers, the sender and the digest job."""
    process.main(settings, app="notify.__main__:create_app", migrations=MIGRATIONS)


if __name__ == "__main__":
    main()
