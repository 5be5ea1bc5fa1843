"""The case projection of a batch, upserted merged: the same rows as applying its events one by one."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from contracts.catalog import model_for
from contracts.common import EventData
from kit.db import make_engine, make_sessionmaker
from kit.migrate import upgrade
from kit.testing import fresh_database
from notify.adapters.directory import DirectoryStore
from notify.adapters.tables import make_schema
from notify.bootstrap import MIGRATIONS
from notify.templates.samples import TYPICAL


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.integration), "sqlite"])
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated database of each kind."""
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "sqlite":
            made = f"sqlite+aiosqlite:///{tmp_path / 'notify.db'}"
        else:
            made = await stack.enter_async_context(fresh_database())
        await upgrade(MIGRATIONS, made)
        yield made


def event(event_type: str, **changes: Any) -> EventData:
    """Return a typical event of a type with some fields changed."""
    model = model_for(event_type)
    assert model is not None
    return model.model_validate({**TYPICAL[event_type], **changes})


def story(prefix: str) -> list[EventData]:
    """Two cases' events: submitted, assigned, the lead returning, assigned again, retitled.

    After the last return, case 2's assignment and a later event naming no lead unit fall in one
    merged upsert: the lead unit must stay.
    """
    one, two = f"{prefix}-1", f"{prefix}-2"
    lead = [{"unit_id": "U-jtj", "name": "县交通运输局", "role": "lead"}]
    other = [{"unit_id": "U-zjj", "name": "县住房和城乡建设局", "role": "lead"}]
    return [
        event("cases.suggestion.submitted", case_id=one, title="初稿", co_deputy_ids=["D-009"]),
        event("cases.opinion.submitted", case_id=two, receiving_deputy_ids=["D-007"]),
        event("cases.case.assigned", case_id=one, units=lead, deputy_ids=[]),
        event("cases.case.returned", case_id=two, unit_id="U-jtj", role="lead"),  # it has none
        event("cases.case.returned", case_id=one, unit_id="U-jtj", role="lead"),
        event("cases.case.assigned", case_id=two, units=other, deputy_ids=[], title="意见"),
        event("cases.case.assigned", case_id=one, units=other, deputy_ids=["D-001"], title="终稿"),
        event("cases.suggestion.submitted", case_id=two, title="意见（改）", lead_deputy_id="D-3"),
    ]


async def test_a_batch_projects_as_its_events_one_by_one(url: str) -> None:
    schema = make_schema()
    s = schema.tables.subjects
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as session:
            store = DirectoryStore(session, schema.tables)
            await store.project(story("A"))  # the batch
            for data in story("B"):  # one event a batch
                await store.project([data])
            await session.commit()
            rows = (await session.execute(select(s).order_by(s.c.subject_id))).mappings().all()
    finally:
        await engine.dispose()
    by_id = {r["subject_id"]: {k: v for k, v in r.items() if k != "subject_id"} for r in rows}
    assert by_id["A-1"] == by_id["B-1"]
    assert by_id["A-2"] == by_id["B-2"]
    assert by_id["A-1"]["title"] == "终稿"
    assert by_id["A-1"]["lead_unit_id"] == "U-zjj"
    assert by_id["A-1"]["deputy_ids"] == ["D-001"]
    assert by_id["A-2"]["lead_unit_id"] == "U-zjj"
    assert by_id["A-2"]["deputy_ids"] == ["D-3"]
    assert by_id["A-2"]["title"] == "意见（改）"
