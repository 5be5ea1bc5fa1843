"""Announce exactly once: each announcement (scope, key) is made once, with its outbox rows.

Scheduled jobs announce things that became true (a stale roster, an overdue case). The row in
``announcements_made`` and the event's outbox row commit in one transaction, so an announcement is made exactly once across
restarts, instances and upgrades; a lease only keeps instances from racing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import MetaData, Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from kit.clock import utcnow
from kit.db.tables import announcement_table
from kit.uow import UnitOfWork, UnitOfWorkFactory


class Announcements:
    """Which announcements a service has made; ``scope`` groups keys (a job's kind, a case id)."""

    def __init__(self, table: Table | None = None) -> None:
        self.table = table if table is not None else announcement_table(MetaData())

    async def made(self, session: AsyncSession, scopes: Collection[str]) -> dict[str, set[str]]:
        """Return the keys already announced, per scope (every scope asked for is in the answer)."""
        found: dict[str, set[str]] = {s: set() for s in scopes}
        if not found:
            return found
        c = self.table.c
        rows = await session.execute(select(c.scope, c.key).where(c.scope.in_(list(found))))
        for scope, key in rows.all():
            found[scope].add(key)
        return found

    async def announce(
        self,
        uow: UnitOfWork,
        scope: str,
        key: str,
        *envelopes: Envelope[Any],
        at: datetime | None = None,
    ) -> bool:
        """Claim (scope, key) and stage its events in the unit of work; False if made before.

        A concurrent claim of the same key waits for the other transaction and then finds it made.
        """
        insert = pg_insert if uow.session.bind.dialect.name == "postgresql" else sqlite_insert
        statement = (
            insert(self.table)
            .values(scope=scope, key=key, made_at=at or utcnow())
            .on_conflict_do_nothing(index_elements=["scope", "key"])
            .returning(self.table.c.key)
        )
        if (await uow.session.execute(statement)).first() is None:
            return False
        uow.stage(*envelopes)
        return True

    async def announce_once(
        self, uow: UnitOfWorkFactory, scope: str, key: str, *envelopes: Envelope[Any]
    ) -> bool:
        """Announce in a transaction of its own; return whether this call made the announcement."""
        async with uow() as work:
            made = await self.announce(work, scope, key, *envelopes)
            if made:
                await work.commit()
        return made

    async def record(
        self, session: AsyncSession, claims: Sequence[tuple[str, str]], at: datetime | None = None
    ) -> None:
        """Record many (scope, key) claims in one statement; one made before raises IntegrityError.

        For batch jobs that stage their events themselves: the whole batch rolls back together.
        """
        if claims:
            made_at = at or utcnow()
            await session.execute(
                self.table.insert(),
                [{"scope": s, "key": k, "made_at": made_at} for s, k in claims],
            )


__all__ = ["Announcements", "announcement_table"]
