"""Run the cases service: ``python -m cases`` (migrates, then serves HTTP)."""

from __future__ import annotations

from fastapi import FastAPI

from cases.bootstrap import MIGRATIONS, build
from cases.domain import similarity
from cases.settings import CasesSettings
from kit.service import process


def settings() -> CasesSettings:
    """Read the service's settings and configure logging."""
    return process.configured(lambda: CasesSettings.for_service("cases"))


def create_app() -> FastAPI:
    """Build the app of one worker (uvicorn calls this in each worker process)."""
    app = build(settings()).app
    similarity.load_dictionary()  # before the worker listens: the first filing is not slow
    return app


def main() -> None:
    """Migrate the database, serve the API with the relay and the chase scheduler."""
    process.main(settings, app="cases.__main__:create_app", migrations=MIGRATIONS)


if __name__ == "__main__":
    main()
