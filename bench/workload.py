"""The benchmark's events: valid catalog events, keys spread over a thousand aggregates."""

from __future__ import annotations

from typing import Any

from contracts.catalog import new_envelope
from contracts.deputies import TownshipRegistered
from contracts.envelope import Envelope

#: Events with a sequence number at or above this are timed end to end.
TIMED_FROM = 10_000_000


def envelope(i: int) -> Envelope[Any]:
    """Return the i-th benchmark event; its correlation id carries the sequence number."""
    code = f"990101{i % 1000:03d}"
    data = TownshipRegistered(township=code, county="990101", name="东湖镇人大主席团", kind="town")
    return new_envelope(data, source="/services/bench", correlationid=f"bench-{i}")


def sequence(envelope: Envelope[Any]) -> int:
    """Return the sequence number of a benchmark event."""
    return int(envelope.correlationid.removeprefix("bench-"))
