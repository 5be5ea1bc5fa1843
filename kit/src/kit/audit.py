"""Append-only audit log of writes, exports and reads of restricted data."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from kit.logging import correlation_id

ANONYMOUS = "anonymous"


class Actor(Protocol):
    """Who acted: any principal with a subject and roles."""

    @property
    def subject(self) -> str:
        """The user id."""
        ...

    @property
    def roles(self) -> frozenset[Any]:
        """The user's roles."""
        ...


class Writer(Protocol):
    """A unit of work that queues rows for its commit (``kit.uow.UnitOfWork``)."""

    def add(self, table: Table, *rows: Mapping[str, Any]) -> None:
        """Queue rows to insert at commit."""
        ...


class AuditLog:
    """Writes audit entries in the caller's transaction, so an entry exists iff the change does."""

    def __init__(self, table: Table) -> None:
        self.table = table

    async def record(
        self,
        session: AsyncSession,
        *,
        actor: Actor | None,
        action: str,
        resource_type: str,
        resource_id: str | None = None,
        township: str | None = None,
        outcome: str = "ok",
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append one entry; ``action`` is e.g. create, update, export, read_restricted."""
        row = self.row(
            actor=actor,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            township=township,
            outcome=outcome,
            detail=detail,
        )
        await session.execute(insert(self.table), [row])  # parameters, not a new statement

    def add(
        self,
        uow: Writer,
        *,
        actor: Actor | None,
        action: str,
        resource_type: str,
        resource_id: str | None = None,
        township: str | None = None,
        outcome: str = "ok",
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Queue one entry in a unit of work: written with its commit (one round trip for all)."""
        uow.add(
            self.table,
            self.row(
                actor=actor,
                action=action,
                resource_type=resource_type,
                resource_id=resource_id,
                township=township,
                outcome=outcome,
                detail=detail,
            ),
        )

    @staticmethod
    def row(
        *,
        actor: Actor | None,
        action: str,
        resource_type: str,
        resource_id: str | None = None,
        township: str | None = None,
        outcome: str = "ok",
        detail: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Return one entry as a row of the audit log."""
        return {
            "at": datetime.now(UTC),
            "actor": actor.subject if actor else "system",
            "roles": ",".join(sorted(str(r) for r in actor.roles)) if actor else "",
            "action": action,
            "resource_type": resource_type,
            "resource_id": resource_id,
            "township": township,
            "outcome": outcome,
            "correlation_id": correlation_id.get(),
            "detail": detail or {},
        }

    async def record_refusal(
        self,
        session: AsyncSession,
        *,
        principal: Any | None,
        status: int,
        reason: str,
        detail: str,
        method: str,
        route: str,
        township: str | None,
    ) -> None:
        """Append one refused request: who (or ``anonymous``), the route template and why."""
        row = {
            "at": datetime.now(UTC),
            "actor": (principal.subject if principal else ANONYMOUS)[:120],
            "roles": ",".join(sorted(str(r) for r in principal.roles))[:200] if principal else "",
            "action": "refuse",
            "resource_type": "http",
            "resource_id": f"{method} {route}"[:120],
            "township": township,
            "outcome": f"refused_{status}",
            "correlation_id": correlation_id.get(),
            "detail": {
                "reason": reason,
                "detail": detail,
                "scope": principal.scope if principal else None,
                "status": status,
            },
        }
        await session.execute(insert(self.table), [row])
