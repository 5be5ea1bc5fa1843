"""Demo county 青山县 (990101): notify's directory of the people the demo events name.

``python -m notify.demo`` migrates the database and enters, once, the handling units, the county
and township offices and an e-mail address for each (deputies arrive through ``deputies.events``
and get a demo address here). The ids are those of the other services' demo data; the addresses
are made up, on domains that Mailpit (compose) catches.
"""

from __future__ import annotations

import asyncio
import logging

from contracts.vocabulary import RecipientKind
from kit.logging import configure_logging
from notify.bootstrap import migrate
from notify.domain.directory import Office
from notify.domain.model import Channel, RecipientRef
from notify.handlers.context import Services
from notify.settings import NotifySettings
from notify.wiring import wire

log = logging.getLogger(__name__)

COUNTY = "990101"
TOWNSHIPS = (
    ("990101001", "东湖镇"),
    ("990101002", "石桥镇"),
    ("990101003", "柳溪镇"),
    ("990101004", "城关街道"),
)
UNITS = (
    ("traffic", "县交通运输局"),
    ("water", "县水利局"),
    ("education", "县教育局"),
    ("health", "县卫生健康局"),
    ("housing", "县住房和城乡建设局"),
    ("agriculture", "县农业农村局"),
    ("land", "县自然资源和规划局"),
    ("ecology", "县生态环境局"),
    ("civil", "县民政局"),
    ("hrss", "县人力资源和社会保障局"),
    ("market", "县市场监督管理局"),
    ("police", "县公安局"),
)
DEPUTIES = 40
"""The demo deputies are demo-dep-001 … demo-dep-040."""


async def load(svc: Services) -> bool:
    """Enter the demo directory unless it is there; return whether anything was entered."""
    first = RecipientRef(RecipientKind.handling_unit, UNITS[0][0])
    async with svc.uow() as uow:
        store = svc.store(uow)
        if await store.township_of(first) is not None:
            return False
        for code, name in TOWNSHIPS:
            await store.upsert_township(code, COUNTY, name)
            staff = RecipientRef(RecipientKind.staff, f"demo-staff-{code}")
            await store.upsert_recipient(staff, name=f"{name}人大", township=code, active=True)
            await store.set_contact(staff, Channel.email, f"staff-{code}@qingshan.gov.cn")
            await store.hold_office(Office.township_staff, code, staff)
            await store.hold_office(Office.township_chair, code, staff)
        for unit_id, name in UNITS:
            unit = RecipientRef(RecipientKind.handling_unit, unit_id)
            await store.upsert_recipient(unit, name=name, township=COUNTY, active=True)
            await store.set_contact(unit, Channel.email, f"{unit_id}@qingshan.gov.cn")
        admin = RecipientRef(RecipientKind.staff, "demo-county-admin")
        leader = RecipientRef(RecipientKind.staff, "demo-county-leader")
        await store.upsert_recipient(admin, name="县人大常委会代工委", township=COUNTY, active=True)
        await store.upsert_recipient(
            leader, name="县人大常委会副主任", township=COUNTY, active=True
        )
        for ref in (admin, leader):
            await store.set_contact(ref, Channel.email, f"{ref.id}@qingshan.gov.cn")
        await store.hold_office(Office.county_committee, COUNTY, admin)
        await store.hold_office(Office.county_staff, COUNTY, admin)
        await store.hold_office(Office.vice_chair, COUNTY, leader)
        for n in range(1, DEPUTIES + 1):
            deputy = RecipientRef(RecipientKind.deputy, f"demo-dep-{n:03d}")
            await store.set_contact(deputy, Channel.email, f"{deputy.id}@deputies.qingshan.cn")
        await uow.commit()
    return True


async def run(settings: NotifySettings) -> bool:
    """Migrate and load the demo directory."""
    await migrate(settings)
    core = wire(settings)
    try:
        return await load(core.services)
    finally:
        await core.runtime.engine.dispose()


def main() -> None:
    """Load the demo directory into the configured database."""
    settings = NotifySettings.for_service("notify")
    configure_logging(service="notify", level=settings.log_level, fmt=settings.log_format)
    loaded = asyncio.run(run(settings))
    log.info("notify demo directory %s", "loaded" if loaded else "already there")
