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
        e.category.value,
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
        Category(v[8]),
        Decimal(v[9]),
        v[10],
        UUID(bytes=v[11]),
        v[12],
        v[13],
        None if v[14] is None else Decimal(v[14]),
    )


def _key(ledger: LedgerKey) -> str:
    county, year, version = ledger
    return f"{county}|{year}|{version}"


def _ledger(key: str) -> LedgerKey:
    county, year, version = key.split("|")
    return county, int(year), int(version)


class Spill:
    """A temporary SQLite file of live entries per (subject, ledger); removed on ``close``."""

    def __init__(self, directory: str | None = None) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="scoring-replay-", dir=directory)
        self._db = sqlite3.connect(Path(self._dir.name) / "live.db")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute(
            "CREATE TABLE live (subject TEXT, ledger TEXT, entries BLOB, "
            "PRIMARY KEY (subject, ledger)) WITHOUT ROWID"
        )
        # A subject's other state in the columns the tables built at the end read apart: its
        # versions (a dict), duration (text), signatories, and the same per ledger (``State``).
        self._db.execute(
            "CREATE TABLE state (subject TEXT PRIMARY KEY, versions BLOB, hours TEXT, "
            "signers BLOB, per BLOB) WITHOUT ROWID"
        )
        self.moved_out = 0
        self.moved_in = 0
        self.states_out = 0
        self._marks = bytearray(MARKS // 8)

    def put(
        self,
        rows: Iterable[tuple[str, LedgerKey, list[Entry]]],
        states: Iterable[tuple[str, State]] = (),
    ) -> None:
        """Store the live entries of subjects leaving memory, and their other state (plain values:
        tuples, lists, dicts, str, int, None)."""
        records = [(s, _key(k), marshal.dumps([_values(x) for x in e])) for s, k, e in rows]
        kept = [
            (
                s,
                marshal.dumps(versions) if versions else None,
                hours,
                None if signers is None else marshal.dumps(signers),
                marshal.dumps(per) if per else None,
            )
            for s, (versions, hours, signers, per) in states
        ]
        marks = self._marks
        for subject in [r[0] for r in records] + [k[0] for k in kept]:
            bit = hash(subject) & (MARKS - 1)
            marks[bit >> 3] |= 1 << (bit & 7)
        self._db.executemany("INSERT OR REPLACE INTO live VALUES (?, ?, ?)", records)
        self._db.executemany("INSERT OR REPLACE INTO state VALUES (?, ?, ?, ?, ?)", kept)
        self.moved_out += len(records)
        self.states_out += len(kept)

    def _maybe(self, subject: str) -> bool:
        """Tell whether a subject may have been stored (the bitmap: False means never)."""
        bit = hash(subject) & (MARKS - 1)
        return bool(self._marks[bit >> 3] & (1 << (bit & 7)))

    def take_state(self, subject: str) -> State | None:
        """Return and forget the other state stored for a subject (None if none)."""
        if not self._maybe(subject):
            return None
        found = self._db.execute(
            "SELECT versions, hours, signers, per FROM state WHERE subject = ?", (subject,)
        ).fetchone()
        if found is None:
            return None
        self._db.execute("DELETE FROM state WHERE subject = ?", (subject,))
        return _state(found)

    def versions(self) -> Iterator[tuple[str, int]]:
        """Yield the versions stored in the subjects' states (not per ledger)."""
        for (blob,) in self._db.execute("SELECT versions FROM state WHERE versions IS NOT NULL"):
            yield from _load(blob).items()

    def hours(self) -> Iterator[tuple[str, str]]:
        """Yield the durations stored (as text), by subject."""
        yield from self._db.execute("SELECT subject, hours FROM state WHERE hours IS NOT NULL")

    def signers(self) -> Iterator[tuple[str, Any]]:
        """Yield the signatories stored, by subject."""
        for subject, blob in self._db.execute(
            "SELECT subject, signers FROM state WHERE signers IS NOT NULL"
        ):
            yield subject, _load(blob)

    def take_all(
        self,
    ) -> tuple[list[tuple[str, LedgerKey, list[Entry]]], list[tuple[str, State]]]:
        """Return and forget everything stored: live entries and states, per subject."""
        live = [
            (s, _ledger(k), [_entry(values) for values in _load(blob)])
            for s, k, blob in self._db.execute("SELECT subject, ledger, entries FROM live")
        ]
        states = [
            (row[0], _state(row[1:]))
            for row in self._db.execute("SELECT subject, versions, hours, signers, per FROM state")
        ]
        self._db.execute("DELETE FROM live")
        self._db.execute("DELETE FROM state")
        self.moved_in += len(live)
        return live, states

    def take(self, subject: str) -> list[tuple[LedgerKey, list[Entry]]]:
        """Return and forget the live entries stored for a subject, per ledger."""
        if not self._maybe(subject):
            return []
        found = self._db.execute(
            "SELECT ledger, entries FROM live WHERE subject = ?", (subject,)
        ).fetchall()
        if not found:
            return []
        self._db.execute("DELETE FROM live WHERE subject = ?", (subject,))
        self.moved_in += len(found)
        return [(_ledger(k), [_entry(values) for values in _load(blob)]) for k, blob in found]

    def close(self) -> None:
        """Remove the file."""
        self._db.close()
        self._dir.cleanup()
