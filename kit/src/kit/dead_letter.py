"""Dead letters: a message that cannot be processed goes to `<topic>.dlq.<group>` with its error."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy.exc import StatementError

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


#: Longest error description a dead-letter header or a log line carries.
MAX_DESCRIPTION = 300
_PHONE_OR_ID = re.compile(r"(?<![0-9])(?:1[3-9][0-9]{9}|[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9])")
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_IDENTIFIER = re.compile(r"[\"'][A-Za-z_][A-Za-z0-9_.]*[\"']")


def _unquote_values(text: str) -> str:
    """Replace quoted values by an ellipsis; quoted ASCII identifiers (constraints) stay."""
    return _QUOTED.sub(lambda m: m[0] if _IDENTIFIER.fullmatch(m[0]) else "'…'", text)


def _message(error: BaseException) -> str:
    """Return the first line of an error's own message, without statements, values or details."""
    if isinstance(error, ValidationError):  # its text quotes the rejected input
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
            for e in error.errors(include_url=False, include_input=False, include_context=False)
        )
    if isinstance(error, StatementError):  # "[SQL: ...] [parameters: ...]": row values
        orig: BaseException | None = error.orig
        if orig is None:
            return "database statement failed"
        driver = orig.__cause__ or orig  # the driver's own error behind the DB-API adapter
        state = getattr(driver, "sqlstate", None)
        kind = f"{type(driver).__name__} ({state})" if state else type(driver).__name__
        return f"{kind}: {_message(driver)}"
    text = str(error).split("\n", 1)[0]  # DETAIL / HINT lines name key values
    for marker in ("[SQL:", "[parameters:", "DETAIL:"):
        text = text.split(marker, 1)[0]
    return _PHONE_OR_ID.sub("***", _unquote_values(text)).strip()


def describe(error: BaseException) -> str:
    """Return the error's type and a sanitised one-line message (no SQL values), bounded in size.

    Dead-letter headers and log lines may be read by operators without access to personal data, so
    this keeps what identifies the failure (exception type, constraint, column, field) and drops
    SQL statements and parameters, DETAIL lines (``Key (phone)=(...)``), validation input and
    quoted values, and masks phone and ID numbers left in the text.
    """
    message = _message(error)
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


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
