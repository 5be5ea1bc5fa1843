"""What every handler runs on: units of work, audit, idempotency, announcements and the clock.

A service subclasses ``HandlerContext`` with its own tables and policies, and ``CallerBase`` with
how its domain sees the acting principal.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Self

from kit import correlation, idempotency
from kit.announcements import Announcements
from kit.audit import AuditLog
from kit.clock import china_day, pinned_now, played_clock, utcnow
from kit.idempotency import IdempotencyKeys, KeyedCaller
from kit.uow import UnitOfWork, UnitOfWorkFactory

if TYPE_CHECKING:  # for the annotation only: handlers need not load the whole runtime
    from kit.runtime import ServiceRuntime


def new_id() -> str:
    """Return a new record id."""
    return str(uuid.uuid4())


@dataclass(frozen=True, kw_only=True)
class HandlerContext:
    """The wiring handlers run on; built once at start-up (tests may swap any part)."""

    uow: UnitOfWorkFactory
    audit: AuditLog
    idempotency: IdempotencyKeys | None = None
    announcements: Announcements = field(default_factory=Announcements)
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def on(cls, runtime: ServiceRuntime, **own: Any) -> Self:
        """Return the context over a runtime's parts, with the service's ``own`` fields.

        In development mode the clock is the one a request may pin (``X-Dev-Clock``), and the
        scheduled jobs read the year being played (``kit.clock.dev_now``).
        """
        settings = runtime.settings
        if settings.dev_mode:
            window = settings.dev_played_clock_seconds
            own.setdefault("clock", played_clock(window) if window else pinned_now)
        return cls(
            uow=runtime.uow,
            audit=runtime.audit,
            idempotency=runtime.idempotency,
            announcements=runtime.announcements,
            **own,
        )

    def now(self) -> datetime:
        """Return the current instant (aware, UTC) from the context's clock."""
        return self.clock()

    def today(self) -> date:
        """Return today: the calendar day in China (Asia/Shanghai) of the context's clock."""
        return china_day(self.clock())


@dataclass(frozen=True, kw_only=True)
class CallerBase:
    """Who acts is the service's; this is the flow: correlation id, Idempotency-Key, body."""

    correlation_id: str = field(default_factory=correlation.current)
    idempotency_key: str | None = None
    request: Any = None


async def replayed(ctx: HandlerContext, caller: KeyedCaller) -> str | None:
    """Return the id a creating request with the same Idempotency-Key made before, if any."""
    return await idempotency.replayed(ctx.idempotency, ctx.uow, caller)


async def created_before(ctx: HandlerContext, uow: UnitOfWork, caller: KeyedCaller) -> str | None:
    """Return, inside ``uow``, the id an earlier request with the same key made, if any."""
    return await idempotency.created_before(ctx.idempotency, uow, caller)


async def remember_creation(
    ctx: HandlerContext, uow: UnitOfWork, caller: KeyedCaller, record_id: str
) -> None:
    """Record what a creating request made with its effects (queued: written at commit)."""
    await idempotency.remember_creation(ctx.idempotency, uow, caller, record_id)
