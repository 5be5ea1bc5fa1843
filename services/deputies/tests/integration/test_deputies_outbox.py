"""State and events commit together: a rolled-back change publishes nothing."""

from __future__ import annotations

import pytest

from deputies.domain.model import TownshipKind
from deputies.handlers.context import Services
from deputies.handlers.townships import RegisterTownship, register_township
from deputies.testing.actors import county_admin
from deputies.testing.harness import count, drained, published_all, running_core, settings_for
from kit.uow import UnitOfWork

pytestmark = pytest.mark.integration


class CrashingUnitOfWork(UnitOfWork):
    """Writes the outbox rows like a real commit, then dies before the database commit."""

    async def commit(self) -> None:
        await self.outbox.write(self.session, self.staged)
        await self.session.flush()
        raise RuntimeError("crash between the outbox write and the commit")


async def test_a_rolled_back_change_leaves_no_row_and_publishes_nothing(
    database_url: str, topic_prefix: str
) -> None:
    async with running_core(settings_for(database_url, topic_prefix)) as core:
        real = core.services
        crashing = Services(
            uow=lambda: CrashingUnitOfWork(core.runtime.sessionmaker, core.runtime.outbox),
            tables=real.tables,
            audit=real.audit,
        )
        with pytest.raises(RuntimeError, match="crash"):
            await register_township(
                crashing, county_admin(), RegisterTownship("990101001", "东湖镇", TownshipKind.town)
            )
        engine = core.runtime.engine
        assert await count(engine, real.tables.townships) == 0
        assert await count(engine, core.runtime.tables.outbox) == 0
        assert await count(engine, core.runtime.tables.audit_log) == 0
        await register_township(
            real, county_admin(), RegisterTownship("990101002", "石桥镇", TownshipKind.town)
        )
        await drained(core.runtime)
    records = await published_all(topic_prefix)
    assert [(r["key"], r["envelope"]["type"]) for r in records] == [
        ("990101002", "deputies.township.registered")
    ]
