"""What both example subscribers share: validate a record with the contract, apply it once per event id.

Written against the `contracts` wheel and the standard library only. The read model is tiny on
purpose (townships, deputies, cases in SQLite); the pattern is what matters:

1. validate the record value with `contracts.validate_envelope` (the envelope, then `data` against the
   model its `dataschema` names);
2. in one local transaction, record the event id and apply the effect; an id already recorded is a
   duplicate (Kafka delivers at least once: after a crash or a rebalance, and when the platform
   replays dead letters), and is skipped;
3. only then let the caller commit the Kafka offset.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from contracts import (
    DataSchemaError,
    Envelope,
    EventData,
    UnknownEventType,
    UnknownEventVersion,
    validate_envelope,
)
from contracts.cases import CaseEvent, OpinionSubmitted, SuggestionSubmitted
from contracts.deputies import DeputyProfile, DeputyStatusChanged, TownshipRegistered

Outcome = Literal["handled", "duplicate", "ignored", "rejected"]

_TABLES = """
CREATE TABLE IF NOT EXISTS applied (
    event_id TEXT PRIMARY KEY, type TEXT NOT NULL, dataschema TEXT NOT NULL, applied_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS townships (code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deputies (
    deputy_id TEXT PRIMARY KEY, township TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cases (
    case_id TEXT PRIMARY KEY, township TEXT NOT NULL, title TEXT, last_event TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Record:
    """Where a record came from, for the report line."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class Result:
    """What became of one record."""

    outcome: Outcome
    envelope: Envelope[EventData] | None = None
    error: str | None = None


def check(value: bytes | None) -> Envelope[EventData] | Result:
    """Validate a record value; return the typed envelope, or the result of a record not to handle.

    A type this contract does not have is ignored (the platform adds types; subscribers skip them).
    Anything else invalid is rejected: a real subscriber would park it in a dead-letter topic of its
    own and alert; these examples report it and go on.
    """
    try:
        return validate_envelope(value or b"")
    except UnknownEventVersion as error:  # a newer major version: upgrade the wheel, then replay
        return Result("rejected", error=f"{type(error).__name__}: {error}")
    except UnknownEventType as error:
        return Result("ignored", error=str(error))
    except ValidationError as error:
        return Result("rejected", error=_explain(error))
    except DataSchemaError as error:
        return Result("rejected", error=f"{type(error).__name__}: {error}")


def _explain(error: ValidationError) -> str:
    """Return what is wrong, field by field, without the input values."""
    return "; ".join(
        f"{'/'.join(map(str, detail['loc'])) or '(root)'}: {detail['msg']}"
        for detail in error.errors(include_url=False, include_input=False)
    )[:300]


class Projection:
    """The subscriber's own store: the ids of the events it applied and its read model, in SQLite."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path)
        self.db.executescript(_TABLES)

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def apply(self, envelope: Envelope[EventData]) -> Result:
        """Apply an event once: the id and the effect are committed together, or neither."""
        with self.db:  # one transaction: commit on success, roll back on an exception
            recorded = self.db.execute(
                "INSERT OR IGNORE INTO applied VALUES (?, ?, ?, datetime('now'))",
                (str(envelope.id), envelope.type, envelope.dataschema),
            )
            if recorded.rowcount == 0:
                return Result("duplicate", envelope)
            self._effect(envelope)
        return Result("handled", envelope)

    def _effect(self, envelope: Envelope[EventData]) -> None:
        data = envelope.data
        if isinstance(data, TownshipRegistered):
            self.db.execute(
                "INSERT OR REPLACE INTO townships VALUES (?, ?)", (data.township, data.name)
            )
        elif isinstance(data, DeputyProfile):  # registered or updated: the whole profile
            self.db.execute(
                "INSERT OR REPLACE INTO deputies VALUES (?, ?, ?, ?)",
                (data.deputy_id, data.township, data.name, data.status),
            )
        elif isinstance(data, DeputyStatusChanged):
            self.db.execute(
                "UPDATE deputies SET status = ? WHERE deputy_id = ?",
                (data.to_status, data.deputy_id),
            )
        elif isinstance(data, CaseEvent):
            title = data.title if isinstance(data, SuggestionSubmitted | OpinionSubmitted) else None
            self.db.execute(
                "INSERT INTO cases VALUES (?, ?, ?, ?) ON CONFLICT (case_id) DO UPDATE SET"
                " last_event = excluded.last_event, title = coalesce(excluded.title, title)",
                (data.case_id, data.township, title, envelope.type),
            )

    def handle(self, value: bytes | None) -> Result:
        """Validate a record value and apply it once."""
        checked = check(value)
        return checked if isinstance(checked, Result) else self.apply(checked)


def report(record: Record, result: Result, **extra: Any) -> None:
    """Print one JSON line about a record on stdout (what the example's test reads)."""
    line: dict[str, Any] = {
        "outcome": result.outcome,
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        **extra,
    }
    if result.envelope is not None:
        line |= {
            "id": str(result.envelope.id),
            "type": result.envelope.type,
            "dataschema": result.envelope.dataschema,
            "subject": result.envelope.subject,
            "township": result.envelope.township,
        }
    if result.error is not None:
        line["error"] = result.error
    print(json.dumps(line, ensure_ascii=False), file=sys.stdout, flush=True)
