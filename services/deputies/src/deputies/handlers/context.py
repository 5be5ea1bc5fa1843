"""What every handler needs: the wiring (``Services``) and who acts (``Caller``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from deputies.adapters.repository import Repository
from deputies.adapters.tables import Tables
from kit import correlation, idempotency
from kit.audit import Actor, AuditLog
from kit.idempotency import IdempotencyKeys
from kit.principal import Principal
from kit.uow import UnitOfWork, UnitOfWorkFactory


def utcnow() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def new_id() -> str:
    """Return a new record id."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Services:
    """The wiring handlers run on; built once in bootstrap, fakes welcome in tests."""

    uow: UnitOfWorkFactory
    tables: Tables
    audit: AuditLog
    idempotency: IdempotencyKeys | None = None
    clock: Callable[[], datetime] = utcnow

    def repository(self, uow: UnitOfWork) -> Repository:
        """Return the repository over a unit of work's session."""
        return Repository(uow.session, self.tables)


@dataclass(frozen=True)
class Caller:
    """Who acts (with the principal the audit log records) and the flow's correlation id."""

    viewer: Principal
    principal: Actor
    correlation_id: str = field(default_factory=correlation.current)
    idempotency_key: str | None = None
    request: Any = None

    @property
    def subject(self) -> str:
        """Return the acting user's id."""
        return self.viewer.subject


async def replayed(svc: Services, caller: Caller) -> str | None:
    """Return the id a creating request with the same Idempotency-Key made before, if any."""
    return await idempotency.replayed(svc.idempotency, svc.uow, caller)


async def remember_creation(svc: Services, uow: UnitOfWork, caller: Caller, record_id: str) -> None:
    """Record what a creating request made, in its transaction (with the Idempotency-Key)."""
    await idempotency.remember_creation(svc.idempotency, uow, caller, record_id)


async def refresh_statistics(svc: Services, table: str) -> None:
    """Let PostgreSQL re-plan with the table's new size (after a bulk write; no-op on SQLite)."""
    async with svc.uow() as uow:
        if uow.session.bind.dialect.name != "postgresql":
            return
        await uow.session.execute(text(f'ANALYZE "{table}"'))
        await uow.session.commit()
