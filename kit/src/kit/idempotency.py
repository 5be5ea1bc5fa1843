"""Idempotency keys for creating requests: a retried request gets the first answer, not a second effect.

The answer is remembered in the transaction of the effect. Two requests with one key at the same
time both pass the lookup; the second's insert waits for the first transaction and then finds the
key taken (``ON CONFLICT DO NOTHING``): it raises ``ConcurrentRequestError``, its transaction rolls
back (no second effect) and the client gets 409 "in progress" with ``Retry-After``; the retry
gets the first answer. ``remember_creation`` queues the key as a claim of the unit of work, so it
is written at commit in the same statement as the effect's other rows (``kit.db.writes``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from kit.errors import ConcurrentRequestError, invalid
from kit.uow import UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True)
class StoredResponse:
    """The answer given the first time a key was used."""

    status: int
    body: Any


class KeyReusedError(Exception):
    """The same key came with a different request body."""


def request_hash(payload: Any) -> str:
    """Return a stable hash of a request body (JSON-able)."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyKeys:
    """Looks up and records `Idempotency-Key` answers in the caller's transaction."""

    def __init__(self, table: Table) -> None:
        self.table = table

    async def lookup(
        self, session: AsyncSession, *, subject: str, key: str, payload: Any
    ) -> StoredResponse | None:
        """Return the stored answer for (subject, key); raise when the body differs."""
        row = (
            await session.execute(
                select(self.table.c.request_hash, self.table.c.status, self.table.c.body).where(
                    self.table.c.subject == subject, self.table.c.key == key
                )
            )
        ).one_or_none()
        if row is None:
            return None
        if row.request_hash != request_hash(payload):
            raise KeyReusedError(key)
        return StoredResponse(row.status, row.body)

    @staticmethod
    def row(*, subject: str, key: str, payload: Any, status: int, body: Any) -> dict[str, Any]:
        """Return the row that remembers an answer."""
        return {
            "subject": subject,
            "key": key,
            "request_hash": request_hash(payload),
            "status": status,
            "body": json.loads(json.dumps(body, default=str)),
            "created_at": datetime.now(UTC),
        }

    def claim(
        self, uow: UnitOfWork, *, subject: str, key: str, payload: Any, status: int, body: Any
    ) -> None:
        """Queue the answer with the effects; the commit raises ``ConcurrentRequestError`` if taken."""
        row = self.row(subject=subject, key=key, payload=payload, status=status, body=body)
        uow.claim(self.table, row, _in_progress())

    async def remember(
        self, session: AsyncSession, *, subject: str, key: str, payload: Any, status: int, body: Any
    ) -> None:
        """Record the answer with the effects; raise ``ConcurrentRequestError`` if the key is taken."""
        values = self.row(subject=subject, key=key, payload=payload, status=status, body=body)
        dialect = session.get_bind().dialect.name
        insert = (
            postgresql.insert(self.table) if dialect == "postgresql" else sqlite.insert(self.table)
        )
        result = await session.execute(insert.values(**values).on_conflict_do_nothing())
        if isinstance(result, CursorResult) and result.rowcount == 0:
            raise _in_progress()

    async def created_id(
        self, session: AsyncSession, *, subject: str, key: str, payload: Any
    ) -> str | None:
        """Return the id a creating request with this key made before; refuse a reused key."""
        try:
            stored = await self.lookup(session, subject=subject, key=key, payload=payload)
        except KeyReusedError:
            raise invalid(
                ("header", "Idempotency-Key"),
                "this key was used with a different request",
                "reused",
            ) from None
        return str(stored.body["id"]) if stored else None

    async def remember_id(
        self, session: AsyncSession, *, subject: str, key: str, payload: Any, record_id: str
    ) -> None:
        """Record the id a creating request made, in its transaction."""
        await self.remember(
            session, subject=subject, key=key, payload=payload, status=201, body={"id": record_id}
        )


class KeyedCaller(Protocol):
    """Who makes a creating request, with its Idempotency-Key and body."""

    @property
    def subject(self) -> str:
        """Return the caller's user id."""
        ...

    @property
    def idempotency_key(self) -> str | None:
        """Return the request's Idempotency-Key, if any."""
        ...

    @property
    def request(self) -> Any:
        """Return the request body the key stands for."""
        ...


def _in_progress() -> ConcurrentRequestError:
    return ConcurrentRequestError(
        "a request with this Idempotency-Key was being processed at the same time; "
        "retry to get its answer"
    )


async def replayed(
    keys: IdempotencyKeys | None, uow: UnitOfWorkFactory, caller: KeyedCaller
) -> str | None:
    """Return the id a creating request with the same Idempotency-Key made before, if any."""
    if keys is None or caller.idempotency_key is None:
        return None
    async with uow() as work:
        return await created_before(keys, work, caller)


async def created_before(
    keys: IdempotencyKeys | None, uow: UnitOfWork, caller: KeyedCaller
) -> str | None:
    """Return, inside ``uow``, the id an earlier request with the same key made, if any."""
    if keys is None or caller.idempotency_key is None:
        return None
    return await keys.created_id(
        uow.session, subject=caller.subject, key=caller.idempotency_key, payload=caller.request
    )


async def remember_creation(
    keys: IdempotencyKeys | None, uow: UnitOfWork, caller: KeyedCaller, record_id: str
) -> None:
    """Record what a creating request made with its effects (queued: written at commit)."""
    if keys is None or caller.idempotency_key is None:
        return
    keys.claim(
        uow,
        subject=caller.subject,
        key=caller.idempotency_key,
        payload=caller.request,
        status=201,
        body={"id": record_id},
    )
