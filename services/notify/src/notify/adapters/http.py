"""One JSON POST for the HTTP channels, its failures classified (httpx).

Timeouts and connection errors are transient; so are 408, 425, 429 and 5xx (Retry-After
respected); other statuses outside 2xx are permanent. A reason names the status and, when the
body carries one, a short machine error code: never the body itself, which may echo the address.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Final

import httpx

from kit.clock import utcnow
from notify.domain.retry import Failed, classify_http, transient

_CODE: Final = re.compile(r"[A-Za-z0-9_.\-]{1,40}")
MAX_BODY: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class Reply:
    """A 2xx answer: its status and JSON body (empty when the body is not a JSON object)."""

    status: int
    body: Mapping[str, Any]


def retry_after(value: str | None) -> timedelta | None:
    """Return a Retry-After header (seconds or an HTTP date) as a delay, or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when - utcnow(), timedelta(0)) if when.tzinfo else None


def _json(response: httpx.Response) -> Mapping[str, Any]:
    if len(response.content) > MAX_BODY:
        return {}
    try:
        body = json.loads(response.content or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def error_code(body: Mapping[str, Any]) -> str | None:
    """Return a short machine error code from a JSON body (``code``, ``errcode`` or ``error``)."""
    for name in ("code", "errcode", "error"):
        value = body.get(name)
        if value is not None and _CODE.fullmatch(str(value)):
            return str(value)
    return None


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    payload: Mapping[str, Any],
    headers: Mapping[str, str],
    *,
    what: str,
    auth: httpx.Auth | None = None,
) -> Reply | Failed:
    """POST a JSON payload; return the 2xx reply, or the classified failure."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    try:
        response = await client.post(
            url,
            content=body,
            headers={"Content-Type": "application/json", **headers},
            auth=httpx.USE_CLIENT_DEFAULT if auth is None else auth,
        )
    except httpx.TimeoutException:
        return transient(f"{what}: timeout")
    except httpx.TransportError as exc:
        return transient(f"{what}: {type(exc).__name__}")
    kind = classify_http(response.status_code)
    parsed = _json(response)
    if kind is None:
        return Reply(response.status_code, parsed)
    code = error_code(parsed)
    reason = f"{what}: HTTP {response.status_code}" + (f" ({code})" if code else "")
    return Failed(kind, reason, retry_after(response.headers.get("Retry-After")))
