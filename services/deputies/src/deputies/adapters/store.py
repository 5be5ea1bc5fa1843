"""The base of the repository's parts: a unit of work and the service's tables.

Statements run on the transaction's Core connection, not through the ORM session's execute
path; rows that only need to exist at commit may be queued on the unit of work instead.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Executable, update
from sqlalchemy.engine import CursorResult

from deputies.adapters.tables import Tables
from deputies.domain.errors import VersionConflictError
from kit.uow import UnitOfWork


def now() -> datetime:
    """Return the current time in UTC (row timestamps)."""
    return datetime.now(UTC)


class Store:
    """The unit of work and tables every part of the repository works on."""

    def __init__(self, uow: UnitOfWork, tables: Tables) -> None:
        self.uow = uow
        self.session = uow.session
        self.t = tables

    async def _run(self, statement: Executable, rows: Any = None) -> CursorResult[Any]:
        """Execute a Core statement on the unit of work's connection."""
        return await (await self.uow.connection()).execute(statement, rows)

    async def _scalar(self, statement: Executable) -> Any:
        """Return the first column of the first row a Core statement gives, if any."""
        return (await self._run(statement)).scalar()

    async def _update_versioned(
        self, table: Any, record_id: str, expected_version: int, values: dict[str, Any]
    ) -> None:
        result = await self._run(
            update(table)
            .where(table.c.id == record_id, table.c.version == expected_version)
            .values(**values)
        )
        if result.rowcount != 1:
            raise VersionConflictError(f"{record_id} changed since version {expected_version}")
