"""Unit of work: one transaction for the state change, its outbox rows and its inbox row."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.envelope import Envelope
from kit import tracing
from kit.outbox import Outbox


class UnitOfWork:
    """A session plus the events staged in it; nothing is written until ``commit``."""

    session: AsyncSession

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], outbox: Outbox) -> None:
        self._sessionmaker = sessionmaker
        self.outbox = outbox
        self._staged: list[Envelope[Any]] = []
        self._committed = False

    async def __aenter__(self) -> Self:
        self.session = self._sessionmaker()
        self._staged = []
        self._committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                await self.session.rollback()
        finally:
            await self.session.close()

    def stage(self, *envelopes: Envelope[Any]) -> None:
        """Queue events to be written to the outbox at commit, in order."""
        self._staged.extend(tracing.stamped(e) for e in envelopes)  # the trace travels on

    @property
    def staged(self) -> tuple[Envelope[Any], ...]:
        """Return the events staged so far."""
        return tuple(self._staged)

    async def commit(self) -> None:
        """Write the staged events and commit everything in one transaction."""
        await self.outbox.write(self.session, self._staged)
        await self.session.commit()
        self._committed = True
        if self._staged:
            self.outbox.committed()
        self._staged = []

    async def rollback(self) -> None:
        """Drop the staged events and roll the transaction back."""
        self._staged = []
        await self.session.rollback()


UnitOfWorkFactory = Callable[[], UnitOfWork]


def uow_factory(
    sessionmaker: async_sessionmaker[AsyncSession], outbox: Outbox
) -> UnitOfWorkFactory:
    """Return a factory of units of work bound to a database and an outbox."""

    def make() -> UnitOfWork:
        return UnitOfWork(sessionmaker, outbox)

    return make


__all__ = ["UnitOfWork", "UnitOfWorkFactory", "uow_factory"]
