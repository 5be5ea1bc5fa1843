"""Dead letters: a message that cannot be processed goes to `<topic>.dlq.<group>` with its error."""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from contracts.topics import dead_letter
from kit.broker import Publisher

HEADER_ERROR = "dlq_error"
HEADER_REASON = "dlq_reason"
HEADER_HANDLER = "dlq_handler"
HEADER_ATTEMPTS = "dlq_attempts"
HEADER_FIRST_FAILURE = "dlq_first_failure_time"
HEADER_TOPIC = "dlq_original_topic"
HEADER_PARTITION = "dlq_original_partition"
HEADER_OFFSET = "dlq_original_offset"
DLQ_HEADERS = (
    HEADER_ERROR,
    HEADER_REASON,
    HEADER_HANDLER,
    HEADER_ATTEMPTS,
    HEADER_FIRST_FAILURE,
    HEADER_TOPIC,
    HEADER_PARTITION,
    HEADER_OFFSET,
)


@dataclass(frozen=True)
class Failure:
    """Why a message is dead-lettered."""

    reason: str
    error: BaseException
    attempts: int
    first_failure: datetime


def describe(error: BaseException) -> str:
    """Return a one-line description of an error, bounded in size."""
    lines = traceback.format_exception_only(type(error), error)
    return " ".join(line.strip() for line in lines)[:2000]


async def send_to_dead_letter(
    publisher: Publisher,
    *,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    headers: Mapping[str, str],
    group: str,
    failure: Failure,
) -> str:
    """Publish the original message with error headers, wait for the broker; return the topic."""
    target = dead_letter(topic, group)
    extra = {
        HEADER_ERROR: describe(failure.error),
        HEADER_REASON: failure.reason,
        HEADER_HANDLER: group,
        HEADER_ATTEMPTS: str(failure.attempts),
        HEADER_FIRST_FAILURE: failure.first_failure.isoformat(),
        HEADER_TOPIC: topic,
        HEADER_PARTITION: str(partition),
        HEADER_OFFSET: str(offset),
    }
    kept = {k: v for k, v in headers.items() if k not in DLQ_HEADERS}
    future = await publisher.send(
        target,
        key=(key or b"").decode("utf-8", "replace"),
        value=value or b"",
        headers={**kept, **extra},
    )
    await future
    return target


def utcnow() -> datetime:
    """Return the current UTC time."""
    return datetime.now(UTC)
