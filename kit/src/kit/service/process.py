"""``python -m <service>``: read settings, configure logging, migrate, serve (nothing at import)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from kit.logging import configure_logging
from kit.migrate import upgrade
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
    serve the app factory ``app`` ("module:function")."""
    settings = configured(load)
    asyncio.run(migrate(migrations, settings))
    if prepare is not None:
        asyncio.run(prepare(settings))
    serve(settings, app)
