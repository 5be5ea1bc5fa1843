"""The base of the repository's parts: a session and the service's tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from deputies.adapters.tables import Tables
from deputies.domain.errors import VersionConflictError


def now() -> datetime:
    """Return the current time in UTC (row timestamps)."""
    return datetime.now(UTC)


class Store:
    """The session and tables every part of the repository works on."""

    def __init__(self, session: AsyncSession, tables: Tables) -> None:
        self.session = session
        self.t = tables

    async def _update_versioned(
        self, table: Any, record_id: str, expected_version: int, values: dict[str, Any]
    ) -> None:
        result = await self.session.execute(
            update(table)
            .where(table.c.id == record_id, table.c.version == expected_version)
            .values(**values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise VersionConflictError(f"{record_id} changed since version {expected_version}")
