"""Calendar feed tokens: an id signed with the service's key (pure; the row makes it revocable).

A calendar app fetches a feed by URL and cannot send a bearer header, so the URL carries a
token: ``<id>.<signature>``. The signature (HMAC-SHA256 under a key derived from the JWT secret)
lets a forged or mistyped token be refused before the database is asked; the token's row says
whose it is, what that person could see when it was issued, which feed, and whether it was
revoked. The feed is read with that person's rights, checked again at every fetch.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from enum import StrEnum

_CONTEXT = b"deputies calendar feed v1"


class FeedKind(StrEnum):
    """Whose calendar a feed shows."""

    township = "township"
    station = "station"
    deputy = "deputy"


def feed_key(secret: bytes) -> bytes:
    """Derive the feed-signing key from the service's secret (never the secret itself)."""
    return hmac.new(secret, _CONTEXT, hashlib.sha256).digest()


def _signature(key: bytes, token_id: str) -> str:
    digest = hmac.new(key, token_id.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def new_token_id() -> str:
    """Return a fresh random token id (128 bits, hex)."""
    return secrets.token_hex(16)


def sign(key: bytes, token_id: str) -> str:
    """Return the token a feed URL carries."""
    return f"{token_id}.{_signature(key, token_id)}"


def verify(key: bytes, token: str) -> str | None:
    """Return the token's id when its signature holds, else None."""
    token_id, _, signature = token.partition(".")
    if not (token_id.isascii() and token_id.isalnum() and len(token_id) == 32 and signature):
        return None
    if not hmac.compare_digest(_signature(key, token_id), signature):
        return None
    return token_id
