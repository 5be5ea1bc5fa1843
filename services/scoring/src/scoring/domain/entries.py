"""Ledger entries (积分流水): append-only, one per (rule, source event, deputy), ids fixed by content."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from scoring.domain.clauses import Category
from scoring.domain.slots import set_by_slot

NAMESPACE = UUID("6c1f6b59-3a51-4d39-9a7e-5f0f1f0b7a51")
_PREFIX = NAMESPACE.bytes
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}
"""A SHA-1 hex digit with the variant bits (RFC 9562) set."""


def name_uuid(name: str) -> str:
    """Return ``str(uuid5(NAMESPACE, name))`` without building UUID objects (the ledger's hot path)."""
    h = hashlib.sha1(_PREFIX + name.encode("utf-8")).hexdigest()  # noqa: S324 (RFC 9562 name-based ids)
    # The version nibble is 5; the variant's two high bits are 10 (the 17th hex digit).
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


def award_id(rule_id: str, source_event_id: UUID | str, deputy_id: str) -> str:
    """Return the id of the entry a rule gives a deputy for an event (the same on every replay).

    ``source_event_id`` as a UUID or its canonical text (the same id: the ledger passes the text
    it formatted once per fact)."""
    return name_uuid(f"{rule_id}|{source_event_id}|{deputy_id}")


def reversal_id(compensated: str, source_event_id: UUID | str) -> str:
    """Return the id of the entry an event writes to reverse an earlier entry."""
    return name_uuid(f"reverse|{compensated}|{source_event_id}")


@set_by_slot
@dataclass(frozen=True, slots=True)
class Entry:
    """Points for one deputy under one rule, from one event; reversed only by a later entry."""

    entry_id: str
    deputy_id: str
    township: str
    year: int
    period: str
    occurred_on: date
    rule_id: str
    rule_set_version: int
    category: Category
    points: Decimal
    subject: str
    source_event_id: UUID
    source_event_type: str
    compensates: str | None = None
    capped_from: Decimal | None = None

    @property
    def is_reversal(self) -> bool:
        """Tell whether this entry reverses an earlier one (a compensating entry)."""
        return self.compensates is not None


def live(entries: list[Entry]) -> list[Entry]:
    """Return the award entries no later entry reverses."""
    reversed_ids = {e.compensates for e in entries if e.compensates is not None}
    return [e for e in entries if not e.is_reversal and e.entry_id not in reversed_ids]
