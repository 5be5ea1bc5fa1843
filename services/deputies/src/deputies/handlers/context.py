"""What every handler needs: the wiring (``Services``) and who acts (``Caller``).

The kit's ``HandlerContext`` gives ``uow``, ``audit``, ``idempotency``, ``announcements``,
``clock``, ``now()`` and ``today()`` (the China day); this adds the service's tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from contracts.envelope import Envelope
from deputies.adapters.repository import Repository
from deputies.adapters.tables import Tables
from kit.audit import Actor
from kit.principal import Principal
from kit.service.context import CallerBase, HandlerContext, new_id, remember_creation, replayed
from kit.uow import UnitOfWork

__all__ = [
    "Caller",
    "Services",
    "new_id",
    "record_creation",
    "refresh_statistics",
    "remember_creation",
    "replayed",
]


@dataclass(frozen=True)
class Services(HandlerContext):
    """The wiring handlers run on; built once in bootstrap, fakes welcome in tests."""

    tables: Tables

    def repository(self, uow: UnitOfWork) -> Repository:
        """Return the repository over a unit of work's session."""
        return Repository(uow, self.tables)


@dataclass(frozen=True)
class Caller(CallerBase):
    """Who acts (with the principal the audit log records) and the flow's correlation id."""

    viewer: Principal
    principal: Actor

    @property
    def subject(self) -> str:
        """Return the acting user's id."""
        return self.viewer.subject


async def refresh_statistics(svc: Services, table: str) -> None:
    """Let PostgreSQL re-plan with the table's new size (after a bulk write; no-op on SQLite)."""
    async with svc.uow() as uow:
        if uow.session.bind.dialect.name != "postgresql":
            return
        await uow.session.execute(text(f'ANALYZE "{table}"'))
        await uow.session.commit()


async def record_creation(
    svc: Services,
    uow: UnitOfWork,
    caller: Caller,
    event: Envelope[Any],
    *,
    resource_type: str,
    record_id: str,
    township: str,
) -> None:
    """Audit a created record, stage its event and remember it under the request's key."""
    svc.audit.add(
        uow,
        actor=caller.principal,
        action="create",
        resource_type=resource_type,
        resource_id=record_id,
        township=township,
    )
    uow.stage(event)
    await remember_creation(svc, uow, caller, record_id)
