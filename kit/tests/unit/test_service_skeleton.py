"""The service skeleton: the handler context's day is China's, callers carry keyed requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from contracts.envelope import Envelope
from kit import clock
from kit.announcements import Announcements
from kit.audit import AuditLog
from kit.db import (
    KitTables,
    create_all,
    kit_tables,
    make_engine,
    make_metadata,
    make_sessionmaker,
)
from kit.masking import id_check_char, valid_id_number
from kit.outbox import Outbox
from kit.service.api import keyed
from kit.service.context import CallerBase, HandlerContext
from kit.uow import UnitOfWorkFactory, uow_factory

LATE_EVENING_UTC = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)  # 01:30 on 1 December in China


def envelope(subject: str) -> Envelope[dict[str, Any]]:
    """Return a minimal valid envelope (the store does not look at the data)."""
    return Envelope[dict[str, Any]](
        type="deputies.township.registered",
        source="/services/test",
        subject=subject,
        dataschema="urn:test",
        township="990101001",
        correlationid="c-1",
        data={"name": subject},
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[tuple[UnitOfWorkFactory, KitTables]]:
    """Units of work over a fresh SQLite file with the kit's tables."""
    metadata = make_metadata()
    tables = kit_tables(metadata)
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/kit.db")
    await create_all(engine, metadata)
    outbox = Outbox(table=tables.outbox, service="test", topic_prefix="x.")
    yield uow_factory(make_sessionmaker(engine), outbox), tables
    await engine.dispose()


def test_a_handler_context_at_1730_utc_on_30_november_says_1_december(
    store: tuple[UnitOfWorkFactory, KitTables],
) -> None:
    uow, tables = store
    ctx = HandlerContext(uow=uow, audit=AuditLog(tables.audit_log), clock=lambda: LATE_EVENING_UTC)
    assert ctx.today() == date(2026, 12, 1)
    assert ctx.now() == LATE_EVENING_UTC


def test_an_id_number_born_on_the_china_day_is_valid_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: LATE_EVENING_UTC)
    body = "110101" + "20261201" + "001"
    assert valid_id_number(body + id_check_char(body))
    later = "110101" + "20261202" + "001"
    assert not valid_id_number(later + id_check_char(later))


@dataclass(frozen=True)
class _Caller(CallerBase):
    subject: str


class _Body(BaseModel):
    name: str


def test_keyed_returns_the_services_own_caller_with_key_and_body() -> None:
    caller = _Caller(subject="u1", correlation_id="c-1")
    with_key = keyed(caller, "k-1", _Body(name="东湖镇"))
    assert with_key == _Caller(
        subject="u1", correlation_id="c-1", idempotency_key="k-1", request={"name": "东湖镇"}
    )


async def test_an_announcement_is_made_once_and_stages_its_events_only_then(
    store: tuple[UnitOfWorkFactory, KitTables],
) -> None:
    uow, tables = store
    made = Announcements(tables.announcements)
    assert await made.announce_once(uow, "roster_stale", "k1", envelope("a"))
    assert not await made.announce_once(uow, "roster_stale", "k1", envelope("b"))
    assert await made.announce_once(uow, "station_stale", "k1", envelope("c"))
    async with uow() as work:
        assert await made.made(work.session, ["roster_stale", "nothing"]) == {
            "roster_stale": {"k1"},
            "nothing": set(),
        }
        with pytest.raises(IntegrityError):
            await made.record(work.session, [("case-1", "w50"), ("roster_stale", "k1")])
    async with uow() as work:
        rows = (await work.session.execute(tables.outbox.select())).all()
        assert await made.made(work.session, ["case-1"]) == {"case-1": set()}  # rolled back
    assert [r.key for r in rows] == ["a", "c"]
