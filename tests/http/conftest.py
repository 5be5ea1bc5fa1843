"""Fixtures for the HTTP-layer tests of both services on the real PostgreSQL server."""

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
async def other_database_url() -> AsyncIterator[str]:
    """A second empty PostgreSQL database (for the second service)."""
    async with fresh_database() as url:
        yield url


@pytest.fixture
def topic_prefix() -> str:
    """A topic prefix no other test uses."""
    return new_topic_prefix()
