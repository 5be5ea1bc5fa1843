"""Fixtures for kit tests against the real PostgreSQL server and Kafka broker."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator, Iterator

import pytest
from private_broker import PrivateBroker

from kit.testing import fresh_database, new_topic_prefix


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    """An empty PostgreSQL database for this test."""
    async with fresh_database() as url:
        yield url


@pytest.fixture
def topic_prefix() -> str:
    """A topic prefix no other test uses, so tests never read each other's events."""
    return new_topic_prefix()


@pytest.fixture(scope="session")
def private_broker() -> Iterator[PrivateBroker]:
    """A Kafka broker the fault tests may stop and freeze (never the shared one)."""
    broker = PrivateBroker()
    broker.start()
    try:
        yield broker
    finally:
        with contextlib.suppress(Exception):
            broker.thaw()
        broker.stop()
        shutil.rmtree(broker.home, ignore_errors=True)
