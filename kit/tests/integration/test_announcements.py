"""Announce exactly once on PostgreSQL: racing instances make an announcement once, with its event."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from contracts.envelope import Envelope
from kit.announcements import Announcements
from kit.db import create_all, kit_tables, make_engine, make_metadata, make_sessionmaker
from kit.outbox import Outbox
from kit.testing import count
from kit.uow import uow_factory

pytestmark = pytest.mark.integration


def _envelope(subject: str) -> Envelope[dict[str, Any]]:
    return Envelope[dict[str, Any]](
        type="deputies.township.registered",
        source="/services/test",
        subject=subject,
        dataschema="urn:test",
        township="990101001",
        correlationid="c-1",
        data={"name": subject},
    )


async def test_eight_racing_claims_of_one_key_make_one_announcement_and_one_outbox_row(
    database_url: str,
) -> None:
    metadata = make_metadata()
    tables = kit_tables(metadata)
    engine = make_engine(database_url, pool_size=10)
    try:
        await create_all(engine, metadata)
        outbox = Outbox(table=tables.outbox, service="test", topic_prefix="x.")
        uow = uow_factory(make_sessionmaker(engine), outbox)
        made = Announcements(tables.announcements)
        results = await asyncio.gather(
            *(
                made.announce_once(uow, "roster_stale", "990101001:1", _envelope(f"e{i}"))
                for i in range(8)
            )
        )
        assert sorted(results) == [False] * 7 + [True]
        assert await count(engine, tables.outbox) == 1
        assert await count(engine, tables.announcements) == 1
    finally:
        await engine.dispose()
