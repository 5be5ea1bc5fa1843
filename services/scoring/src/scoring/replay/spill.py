"""Live entries of subjects not touched lately, moved out of memory into a local file.

A ledger keeps the live entries of every activity and case (a correction, a cancellation or a
quality marker reads them), so a year's replay would hold the whole ledger. The fold keeps only
the subjects touched in the last ``window`` events; the others go to a SQLite file of the
replay's own (in-process, no server round trip) and come back, whole, before the next fact about
them is applied. Nothing is lost: a subject is either in memory or in the file, never both.
Most subjects touched are new or still in memory: a bitmap of the subjects ever moved out (one
bit per hash, 1 MB) answers "never stored" without asking SQLite.
"""

from __future__ import annotations

import marshal
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from scoring.domain.clauses import Category
from scoring.domain.entries import Entry
from scoring.domain.intake import LedgerKey

MARKS = 1 << 23
"""Bits in the bitmap of subjects moved out (false positives only cost a query)."""

Values = tuple[Any, ...]
_CATEGORY_TEXT = {c: c.value for c in Category}
_CATEGORIES = {c.value: c for c in Category}
"""A category and its text, both ways (a dict lookup, not the enum's Python-level machinery)."""
State = tuple[dict[str, int], str | None, Any, list[Any]]
"""A subject's other state: its versions, duration (text), signatories, then the same per ledger
(``fold.SubjectState``)."""


def _values(e: Entry) -> Values:
    """Return an entry as ``marshal``'s plain values (pickling its enum, Decimal, date and UUID
    objects ran their Python ``__reduce__`` each: ~4x the time)."""
    return (
        e.entry_id,
        e.deputy_id,
        e.township,
        e.year,
        e.period,
        e.occurred_on.toordinal(),
        e.rule_id,
        e.rule_set_version,
        _CATEGORY_TEXT[e.category],
        str(e.points),
        e.subject,
        e.source_event_id.bytes,
        e.source_event_type,
        e.compensates,
        None if e.capped_from is None else str(e.capped_from),
    )


def _load(blob: bytes) -> Any:
    """Return the values of a blob this process wrote with ``marshal.dumps``."""
    return marshal.loads(blob)  # noqa: S302 (a file of the replay's own, deleted at the end)


def _state(row: tuple[Any, ...]) -> State:
    """Return the state stored in a row's columns (versions, hours, signers, per ledger)."""
    versions, hours, signers, per = row
    return (
        {} if versions is None else _load(versions),
        hours,
        None if signers is None else _load(signers),
        [] if per is None else _load(per),
    )


def _live(blob: bytes | None) -> Live:
    """Return the live entries per ledger stored in a blob (none for NULL)."""
    if blob is None:
        return []
    return [(k, [_entry(values) for values in entries]) for k, entries in _load(blob)]


def _entry(v: Values) -> Entry:
    """Return the entry ``_values`` gave the values of."""
    return Entry(
        v[0],
        v[1],
        v[2],
        v[3],
        v[4],
        date.fromordinal(v[5]),
        v[6],
        v[7],
        _CATEGORIES[v[8]],
        Decimal(v[9]),
        v[10],
        UUID(bytes=v[11]),
        v[12],
        v[13],
        None if v[14] is None else Decimal(v[14]),
    )


Live = list[tuple[LedgerKey, list[Entry]]]
"""A subject's live entries, per ledger holding any."""


class Spill:
    """A temporary SQLite file of the subjects moved out: live entries and state, one row each;
    removed on ``close``."""

    def __init__(self, directory: str | None = None) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="scoring-replay-", dir=directory)
        self._db = sqlite3.connect(Path(self._dir.name) / "live.db")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        # One row a subject (one insert, one lookup): its state in the columns the tables built
        # at the end read apart: its versions (a dict), duration (text), signatories, the same
        # per ledger (``State``); then, last (the largest: a scan of the others stops before
        # it), its live entries per ledger.
        self._db.execute(
            "CREATE TABLE moved (subject TEXT PRIMARY KEY, versions BLOB, hours TEXT, "
            "signers BLOB, per BLOB, live BLOB) WITHOUT ROWID"
        )
        self.moved_out = 0
        self.moved_in = 0
        self.states_out = 0
        self._marks = bytearray(MARKS // 8)

    def put(self, subjects: Iterable[tuple[str, Live, State]]) -> None:
        """Store the subjects leaving memory: their live entries and their other state (plain
        values: tuples, lists, dicts, str, int, None)."""
        records = []
        marks, dumps = self._marks, marshal.dumps
        live_out = 0
        for subject, live, (versions, hours, signers, per) in subjects:
            live_out += len(live)
            records.append(
                (
                    subject,
                    dumps(versions) if versions else None,
                    hours,
                    None if signers is None else dumps(signers),
                    dumps(per) if per else None,
                    dumps([(k, [_values(x) for x in e]) for k, e in live]) if live else None,
                )
            )
            bit = hash(subject) & (MARKS - 1)
            marks[bit >> 3] |= 1 << (bit & 7)
        self._db.executemany("INSERT OR REPLACE INTO moved VALUES (?, ?, ?, ?, ?, ?)", records)
        self.moved_out += live_out
        self.states_out += len(records)

    def _maybe(self, subject: str) -> bool:
        """Tell whether a subject may have been stored (the bitmap: False means never)."""
        bit = hash(subject) & (MARKS - 1)
        return bool(self._marks[bit >> 3] & (1 << (bit & 7)))

    def take(self, subject: str) -> tuple[Live, State] | None:
        """Return and forget what was stored for a subject (None if nothing)."""
        if not self._maybe(subject):
            return None
        found = self._db.execute(
            "SELECT versions, hours, signers, per, live FROM moved WHERE subject = ?", (subject,)
        ).fetchone()
        if found is None:
            return None
        self._db.execute("DELETE FROM moved WHERE subject = ?", (subject,))
        live = _live(found[4])
        self.moved_in += len(live)
        return live, _state(found[:4])

    def versions(self) -> Iterator[tuple[str, int]]:
        """Yield the versions stored in the subjects' states (not per ledger)."""
        for (blob,) in self._db.execute("SELECT versions FROM moved WHERE versions IS NOT NULL"):
            yield from _load(blob).items()

    def hours(self) -> Iterator[tuple[str, str]]:
        """Yield the durations stored (as text), by subject."""
        yield from self._db.execute("SELECT subject, hours FROM moved WHERE hours IS NOT NULL")

    def signers(self) -> Iterator[tuple[str, Any]]:
        """Yield the signatories stored, by subject."""
        for subject, blob in self._db.execute(
            "SELECT subject, signers FROM moved WHERE signers IS NOT NULL"
        ):
            yield subject, _load(blob)

    def take_all(self) -> list[tuple[str, Live, State]]:
        """Return and forget everything stored, per subject."""
        found = [
            (row[0], _live(row[5]), _state(row[1:5]))
            for row in self._db.execute(
                "SELECT subject, versions, hours, signers, per, live FROM moved"
            )
        ]
        self._db.execute("DELETE FROM moved")
        self.moved_in += sum(len(live) for _, live, _ in found)
        return found

    def close(self) -> None:
        """Remove the file."""
        self._db.close()
        self._dir.cleanup()
