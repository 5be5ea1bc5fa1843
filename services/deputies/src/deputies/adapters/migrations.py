"""Where the service's Alembic migrations live, and how to apply them."""

from __future__ import annotations

from pathlib import Path

from deputies.settings import DeputiesSettings
from kit.service import process

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


async def migrate(settings: DeputiesSettings) -> None:
    """Bring the service's database to the latest revision (SQLite or PostgreSQL)."""
    await process.migrate(MIGRATIONS, settings)
