"""The demo directory loads once into a migrated SQLite database and routes demo events."""

from __future__ import annotations

from pathlib import Path

from notify.demo import TOWNSHIPS, UNITS, load, run
from notify.domain.directory import Office
from notify.domain.model import Channel
from notify.settings import NotifySettings
from notify.wiring import wire


async def test_the_demo_directory_loads_once(tmp_path: Path) -> None:
    settings = NotifySettings.for_service(
        "notify", database_url=f"sqlite+aiosqlite:///{tmp_path / 'notify.db'}"
    )
    assert await run(settings) is True
    core = wire(settings)
    try:
        assert await load(core.services) is False
        async with core.services.uow() as uow:
            directory = await core.services.store(uow).directory()
        unit = directory.unit(UNITS[0][0])
        assert unit is not None
        assert unit.addresses
        code = TOWNSHIPS[0][0]
        assert [r.ref.id for r in directory.holders(Office.township_staff, code)] == [
            f"demo-staff-{code}"
        ]
        assert directory.holders(Office.vice_chair, code)
    finally:
        await core.runtime.engine.dispose()


async def test_the_demo_knows_the_cases_deputies_and_gives_the_roster_addresses(
    tmp_path: Path,
) -> None:
    settings = NotifySettings.for_service(
        "notify", database_url=f"sqlite+aiosqlite:///{tmp_path / 'notify.db'}"
    )
    assert await run(settings) is True
    core = wire(settings)
    roster = [("3f0c1d2e-uuid-like", "王五", "990101002")]
    try:
        assert await load(core.services, roster) is False
        async with core.services.uow() as uow:
            directory = await core.services.store(uow).directory()
        first = directory.deputy("demo-dep-001")  # the cases demo's first deputy, same name
        assert first is not None
        assert (first.name, first.township) == ("朱丽华", "990101001")
        assert directory.deputy("demo-dep-040") is not None
        assert directory.deputy("demo-dep-041") is None
        from_roster = directory.deputy(roster[0][0])
        assert from_roster is not None
        assert from_roster.address(Channel.email) == f"{roster[0][0]}@deputies.qingshan.cn"
    finally:
        await core.runtime.engine.dispose()
