"""Fixtures for the cases service's tests on the real PostgreSQL server and Kafka broker."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kit.testing import fresh_database, new_topic_prefix


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    """An empty PostgreSQL database for this test."""
    async with fresh_database() as url:
        yield url


@pytest.fixture
def topic_prefix() -> str:
    """A topic prefix no other test uses."""
    return new_topic_prefix()
