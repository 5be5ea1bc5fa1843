"""Topic names: one topic per producing service, keyed by aggregate id."""

from typing import Final

DEPUTIES: Final = "deputies.events"
CASES: Final = "cases.events"
SCORING: Final = "scoring.events"
NOTIFY: Final = "notify.events"

ALL: Final = (DEPUTIES, CASES, SCORING, NOTIFY)

_BY_SERVICE: Final = {"deputies": DEPUTIES, "cases": CASES, "scoring": SCORING, "notify": NOTIFY}


def for_event_type(event_type: str) -> str:
    """Return the topic an event type is published on (its service prefix decides)."""
    service = event_type.split(".", 1)[0]
    try:
        return _BY_SERVICE[service]
    except KeyError:
        raise ValueError(f"no topic for event type {event_type!r}") from None


def dead_letter(topic: str, group: str) -> str:
    """Return the dead-letter topic of a consumer group reading a topic."""
    return f"{topic}.dlq.{group}"
