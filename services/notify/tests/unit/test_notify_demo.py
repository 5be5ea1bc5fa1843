"""The demo directory loads once into a migrated SQLite database and routes demo events."""

from __future__ import annotations

from pathlib import Path

from notify.demo import TOWNSHIPS, UNITS, load, run
from notify.domain.directory import Office
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
