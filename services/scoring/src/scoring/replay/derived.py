"""The tables a replay rebuilds, each with its builder.

Everything here is derived from the two topics; rule sets, review statuses and publication data
are not, and the replay keeps them (entry ids are fixed by content, so a review status attaches to
the rebuilt entry of the same id). ``facts`` and ``entries`` are written while the fold runs; the
others are built from the fold's final state. A new projection is one more ``Derived`` in
``DERIVED``: its builder writes the fresh copy, the switch swaps it in with the rest.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Table

from scoring.replay.fold import Fold


class Output(Protocol):
    """Where a builder writes: the fresh copy of its table, and the fold it reads."""

    fold: Fold
    now: datetime

    def fresh(self, name: str) -> Table:
        """Return the fresh copy of a live table (``<name>_rebuild``)."""
        ...

    async def write(self, name: str, rows: Iterable[dict[str, Any]]) -> int:
        """Bulk-insert rows into the fresh copy of a table; return how many."""
        ...

    async def write_records(
        self, name: str, columns: Sequence[str], records: Iterable[tuple[Any, ...]]
    ) -> int:
        """Bulk-insert records (values in ``columns`` order, JSON as text); return how many."""
        ...


Builder = Callable[[Output], Awaitable[None]]


@dataclass(frozen=True)
class Derived:
    """A live table the replay rebuilds into a fresh copy and swaps in.

    ``build`` is None for the tables written while the fold runs. ``per_ledger`` tables hold rows
    of one ledger each (``county``, ``year``, ``rule_set_version``): the switch replaces the rows
    of the ledgers replayed (only the year's with ``--year``) and keeps the others (retired
    versions). The others are replaced whole, and only by a replay of everything. ``swap``: a
    large table a replay of everything on PostgreSQL indexes beforehand (as soon as it is
    written) and swaps in whole (the rows of ledgers not replayed copied over) instead of
    copying row by row into the live one under the switch's lock.
    """

    table: str
    build: Builder | None = None
    per_ledger: bool = False
    swap: bool = False


async def _parked(out: Output) -> None:
    await out.write(
        "parked",
        (
            {
                "seq": n,
                "event_id": str(p.envelope.id),
                "envelope": p.envelope.model_dump(mode="json"),
                "parked_at": out.now,
            }
            for n, p in enumerate(out.fold.parked, 1)
        ),
    )


async def _parked_waits(out: Output) -> None:
    rows = (
        {"event_id": str(p.envelope.id), "waits_for": key}
        for p in out.fold.parked
        for key in sorted(p.waits)
    )
    await out.write("parked_waits", rows)


async def _townships(out: Output) -> None:
    rows = (
        {"code": code, "county": county, "kind": kind}
        for code, (county, kind) in out.fold.townships.items()
    )
    await out.write("townships", rows)


async def _deputies(out: Output) -> None:
    await out.write("deputies", out.fold.deputies.values())


async def _deputy_names(out: Output) -> None:
    await out.write("deputy_names", out.fold.names.values())


async def _activity_versions(out: Output) -> None:
    await out.write_records("activity_versions", ("subject", "version"), out.fold.versions())


async def _activity_hours(out: Output) -> None:
    await out.write_records("activity_hours", ("activity_id", "hours"), out.fold.hours())


_json = json.JSONEncoder(ensure_ascii=False).encode
"""``json.dumps(…, ensure_ascii=False)`` without a new encoder per call."""


async def _case_signers(out: Output) -> None:
    records = ((case_id, lead, _json(list(co))) for case_id, (lead, co) in out.fold.signers())
    await out.write_records("case_signers", ("case_id", "lead", "co_signers"), records)


DERIVED: tuple[Derived, ...] = (
    Derived("facts", swap=True),
    Derived("entries", per_ledger=True, swap=True),
    Derived("parked", _parked),
    Derived("parked_waits", _parked_waits),
    Derived("townships", _townships),
    Derived("deputies", _deputies),
    Derived("deputy_names", _deputy_names),
    Derived("activity_versions", _activity_versions, swap=True),
    Derived("activity_hours", _activity_hours, swap=True),
    Derived("case_signers", _case_signers, swap=True),
)
"""Every table derived from the topics, in the order they are built and swapped."""
