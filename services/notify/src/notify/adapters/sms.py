"""SMS through an HTTP gateway: a generic, signed JSON POST.

The request (documented in the README, "SMS gateway"):

    POST {url}
    Content-Type: application/json
    X-Api-Key: {api_key}
    X-Timestamp: {unix seconds}
    X-Signature: hex(HMAC-SHA256(secret, "{timestamp}\\n" + raw body))
    Idempotency-Key: {delivery id}

    {"id": "{delivery id}", "to": "13800001234", "text": "【县人大】…", "segments": 1}

A 2xx answer is delivered (its JSON ``id``, if any, is kept as the provider id); a 2xx answer
with ``"ok": false`` is read as a refusal (permanent). 408/425/429/5xx, timeouts and refused
connections are transient, other 4xx permanent. A gateway that honours ``Idempotency-Key`` makes
a resend after a crash between send and mark a no-op.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass

import httpx

from kit.masking import valid_mobile
from notify.adapters.base import Outgoing
from notify.adapters.http import Reply, error_code, post_json
from notify.domain.model import Channel
from notify.domain.retry import Delivered, Outcome, permanent


@dataclass(frozen=True, slots=True)
class SmsSettings:
    """Where the gateway is and the credentials it checks."""

    url: str
    api_key: str
    secret: str


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Return the request signature: hex HMAC-SHA256 of ``timestamp\\n`` + body under the secret."""
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def _national(number: str) -> str:
    """Return a mainland number without separators and +86 / 0086; another country gives ""."""
    compact = re.sub(r"[\s\-()（）]", "", number)
    for prefix in ("+86", "0086"):
        if compact.startswith(prefix):
            return compact[len(prefix) :]
    return "" if compact.startswith("+") else compact


class _Signing(httpx.Auth):
    """Signs the exact body httpx sends (so signature and bytes can never disagree)."""

    def __init__(self, settings: SmsSettings, clock: Callable[[], float]) -> None:
        self._settings = settings
        self._clock = clock

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the key, timestamp and signature headers."""
        timestamp = str(int(self._clock()))
        request.headers["X-Api-Key"] = self._settings.api_key
        request.headers["X-Timestamp"] = timestamp
        request.headers["X-Signature"] = signature(
            self._settings.secret, timestamp, request.content
        )
        yield request


class SmsSender:
    """Sends SMS through the configured HTTP gateway."""

    channel = Channel.sms

    def __init__(
        self,
        settings: SmsSettings,
        client: httpx.AsyncClient,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._client = client
        self._auth = _Signing(settings, clock)

    async def send(self, outgoing: Outgoing) -> Outcome:
        """Send one SMS; the delivery id is the idempotency key."""
        number = _national(outgoing.address)
        if not valid_mobile(number):
            return permanent("not a mainland mobile number")
        payload = {
            "id": outgoing.delivery_id,
            "to": number,
            "text": outgoing.message.body,
            "segments": outgoing.message.segments,
        }
        headers = {"Idempotency-Key": outgoing.delivery_id}
        reply = await post_json(
            self._client, self._settings.url, payload, headers, what="SMS gateway", auth=self._auth
        )
        if not isinstance(reply, Reply):
            return reply
        if reply.body.get("ok") is False:
            code = error_code(reply.body)
            return permanent("SMS gateway refused" + (f" ({code})" if code else ""))
        provider = reply.body.get("id")
        return Delivered(str(provider) if provider is not None else None)
