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

import pickle
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import fields
from operator import attrgetter
from pathlib import Path
from typing import Any

from scoring.domain.entries import Entry
from scoring.domain.intake import LedgerKey

MARKS = 1 << 23
"""Bits in the bitmap of subjects moved out (false positives only cost a query)."""
_FIELDS = attrgetter(*(f.name for f in fields(Entry)))
"""An entry's values as a plain tuple (a slotted dataclass pickles field by field in Python)."""


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
        self._db.execute("CREATE TABLE state (subject TEXT PRIMARY KEY, state BLOB) WITHOUT ROWID")
        self.moved_out = 0
        self.moved_in = 0
        self.states_out = 0
        self._marks = bytearray(MARKS // 8)

    def put(
        self,
        rows: Iterable[tuple[str, LedgerKey, list[Entry]]],
        states: Iterable[tuple[str, Any]] = (),
    ) -> None:
        """Store the live entries of subjects leaving memory, and their other state (picklable)."""
        records = [
            (s, _key(k), pickle.dumps([_FIELDS(x) for x in e], pickle.HIGHEST_PROTOCOL))
            for s, k, e in rows
        ]
        kept = [(s, pickle.dumps(state, pickle.HIGHEST_PROTOCOL)) for s, state in states]
        marks = self._marks
        for subject in [r[0] for r in records] + [k[0] for k in kept]:
            bit = hash(subject) & (MARKS - 1)
            marks[bit >> 3] |= 1 << (bit & 7)
        self._db.executemany("INSERT OR REPLACE INTO live VALUES (?, ?, ?)", records)
        self._db.executemany("INSERT OR REPLACE INTO state VALUES (?, ?)", kept)
        self.moved_out += len(records)
        self.states_out += len(kept)

    def _maybe(self, subject: str) -> bool:
        """Tell whether a subject may have been stored (the bitmap: False means never)."""
        bit = hash(subject) & (MARKS - 1)
        return bool(self._marks[bit >> 3] & (1 << (bit & 7)))

    def take_state(self, subject: str) -> Any:
        """Return and forget the other state stored for a subject (None if none)."""
        if not self._maybe(subject):
            return None
        found = self._db.execute("SELECT state FROM state WHERE subject = ?", (subject,)).fetchone()
        if found is None:
            return None
        self._db.execute("DELETE FROM state WHERE subject = ?", (subject,))
        return pickle.loads(found[0])  # noqa: S301 (written by this process)

    def states(self) -> Iterator[tuple[str, Any]]:
        """Yield every state stored, by subject (the tables built at the end read them too)."""
        for subject, blob in self._db.execute("SELECT subject, state FROM state"):
            yield subject, pickle.loads(blob)  # noqa: S301 (written by this process)

    def take_all(
        self,
    ) -> tuple[list[tuple[str, LedgerKey, list[Entry]]], list[tuple[str, Any]]]:
        """Return and forget everything stored: live entries and states, per subject."""
        live = [
            (s, _ledger(k), [Entry(*values) for values in pickle.loads(blob)])  # noqa: S301
            for s, k, blob in self._db.execute("SELECT subject, ledger, entries FROM live")
        ]
        states = [
            (s, pickle.loads(blob))  # noqa: S301 (written by this process)
            for s, blob in self._db.execute("SELECT subject, state FROM state")
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
        return [
            (_ledger(k), [Entry(*values) for values in pickle.loads(blob)])  # noqa: S301 (written by this process)
            for k, blob in found
        ]

    def close(self) -> None:
        """Remove the file."""
        self._db.close()
        self._dir.cleanup()
