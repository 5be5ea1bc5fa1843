"""New events in the current flow: the correlation id carries on, the cause is named."""

from __future__ import annotations

from typing import Any

from contracts.catalog import new_envelope
from contracts.common import EventData
from contracts.envelope import Envelope
from kit import correlation


def event(data: EventData, *, source: str, cause: Envelope[Any] | None = None) -> Envelope[Any]:
    """Wrap event data: caused by ``cause`` (a consumed event) or by the current request."""
    if cause is not None:
        return new_envelope(
            data, source=source, correlationid=cause.correlationid, causationid=str(cause.id)
        )
    return new_envelope(data, source=source, correlationid=correlation.current())
