"""A token verified once is trusted again only while it is valid, and only that exact token."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from kit.auth import AuthConfig, InvalidToken, Principal, Role

SECRET = "verified-tokens-test-secret-32-bytes-long"


def _principal() -> Principal:
    return Principal(subject="u-1", roles=frozenset({Role.township_staff}), scope="990101001")


def test_a_verified_token_expires_on_time() -> None:
    config = AuthConfig(secret=SECRET, leeway=timedelta(0))
    token = config.issue(_principal(), ttl=timedelta(seconds=2))
    assert config.decode(token).subject == "u-1"
    assert config.decode(token).subject == "u-1"  # from the verified tokens
    time.sleep(3.1)
    with pytest.raises(InvalidToken) as refused:
        config.decode(token)
    assert refused.value.reason == "expired"


def test_a_token_issued_in_the_future_is_refused_until_its_time() -> None:
    config = AuthConfig(secret=SECRET, leeway=timedelta(0))
    early = config.issue(_principal(), now=datetime.now(UTC) + timedelta(hours=1))
    with pytest.raises(InvalidToken):
        config.decode(early)
    with pytest.raises(InvalidToken):  # a refusal is not remembered as trust
        config.decode(early)


def test_another_secret_or_a_changed_token_is_verified_afresh() -> None:
    config = AuthConfig(secret=SECRET)
    token = config.issue(_principal())
    assert config.decode(token).subject == "u-1"
    with pytest.raises(InvalidToken) as wrong:
        AuthConfig(secret=SECRET + "-other").decode(token)
    assert wrong.value.reason == "bad_signature"
    head, body, signature = token.split(".")
    tampered = f"{head}.{body}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    with pytest.raises(InvalidToken):
        config.decode(tampered)
