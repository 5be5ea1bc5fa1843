"""Demo county 青山县 (990101): notify's directory of the people the demo events name.

``python -m notify.demo`` migrates the database and enters, once, what the deputies and cases
demos name: their townships (990101001–004), the twelve handling units of the cases demo (same unit
ids), the township staff and county offices (the cases demo's ``demo-staff-<township>``,
``demo-county-admin``, ``demo-county-leader``) and the cases demo's forty deputies
``demo-dep-001``… (its own roster projection, not the deputies service's), each with an e-mail
address. The deputies service's demo gives its ~150 deputies random ids: with ``DEMO_ROSTER_URL``
(and ``DEMO_TOKEN``, a county_admin token) set, as ``./dev run`` does, every run also reads that
roster through the deputies API and gives each deputy a demo e-mail address, so the activities
and scores about them are delivered, not failed. The addresses are made up, on domains the local
SMTP sink (``./dev run``) or Mailpit (compose) catches.
"""

from __future__ import annotations

import asyncio
import logging
import os

import httpx
from faker import Faker

from contracts.vocabulary import RecipientKind
from kit.logging import configure_logging
from notify.adapters.directory import DirectoryStore
from notify.bootstrap import migrate
from notify.domain.directory import Entry, Office
from notify.domain.model import Channel, RecipientRef
from notify.handlers.context import Services
from notify.settings import NotifySettings
from notify.wiring import wire

log = logging.getLogger(__name__)

COUNTY = "990101"
TOWNSHIPS = (
    # code, name, deputies the cases demo gives it (demo-dep-001… in this order)
    ("990101001", "东湖镇", 12),
    ("990101002", "石桥镇", 10),
    ("990101003", "柳溪镇", 8),
    ("990101004", "城关街道", 10),
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
DEPUTY_DOMAIN = "deputies.qingshan.cn"
OFFICE_DOMAIN = "qingshan.gov.cn"


def cases_deputies() -> list[tuple[str, str, str]]:
    """Return the cases demo's deputies (id, name, township): the same seed draws the same names."""
    Faker.seed(990101)
    fake = Faker("zh_CN")
    found: list[tuple[str, str, str]] = []
    for code, _, count in TOWNSHIPS:
        for _ in range(count):
            found.append((f"demo-dep-{len(found) + 1:03d}", fake.name(), code))
    return found


def entries() -> list[Entry]:
    """Return the demo's units and staff, each with an office e-mail address."""
    made = [
        Entry(
            RecipientKind.handling_unit,
            unit_id,
            name,
            COUNTY,
            contacts={Channel.email: f"{unit_id}@{OFFICE_DOMAIN}"},
        )
        for unit_id, name in UNITS
    ]
    township_offices = frozenset({Office.township_staff, Office.township_chair})
    for code, name, _ in TOWNSHIPS:
        office = "工委" if name.endswith("街道") else "主席团"
        made.append(
            Entry(
                RecipientKind.staff,
                f"demo-staff-{code}",
                f"{name}人大{office}",
                code,
                offices=township_offices,
                contacts={Channel.email: f"staff-{code}@{OFFICE_DOMAIN}"},
            )
        )
    county = (
        ("demo-county-admin", "县人大常委会代表工作委员会",
         frozenset({Office.county_committee, Office.county_staff})),
        ("demo-county-leader", "县人大常委会副主任", frozenset({Office.vice_chair})),
    )  # fmt: skip
    for staff_id, name, offices in county:
        made.append(
            Entry(
                RecipientKind.staff,
                staff_id,
                name,
                COUNTY,
                offices=offices,
                contacts={Channel.email: f"{staff_id}@{OFFICE_DOMAIN}"},
            )
        )
    return made


async def load(svc: Services, roster: list[tuple[str, str, str]] | None = None) -> bool:
    """Enter the demo directory unless it is there, and the roster's addresses; return the first."""
    async with svc.uow() as uow:
        store = svc.store(uow)
        directory = DirectoryStore(uow.session, svc.tables)
        first = RecipientRef(RecipientKind.handling_unit, UNITS[0][0])
        loaded = await store.township_of(first) is None
        if loaded:
            for code, name, _ in TOWNSHIPS:
                await store.upsert_township(code, COUNTY, name)
            for entry in entries():
                await directory.save(entry, None)
            for deputy_id, name, township in cases_deputies():
                ref = RecipientRef(RecipientKind.deputy, deputy_id)
                await store.upsert_recipient(ref, name=name, township=township, active=True)
                await directory.set_contacts(ref, {Channel.email: f"{deputy_id}@{DEPUTY_DOMAIN}"})
        for deputy_id, name, township in roster or ():
            ref = RecipientRef(RecipientKind.deputy, deputy_id)
            if await store.township_of(ref) is None:  # the roster's events bring the rest
                await store.upsert_recipient(ref, name=name, township=township, active=True)
            await directory.set_contacts(ref, {Channel.email: f"{deputy_id}@{DEPUTY_DOMAIN}"})
        await uow.commit()
    return loaded


async def read_roster(url: str, token: str) -> list[tuple[str, str, str]]:
    """Return every deputy (id, name, township) the deputies API lists, page by page."""
    found: list[tuple[str, str, str]] = []
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url.rstrip("/"), headers=auth, timeout=30) as client:
        page = 1
        while True:
            response = await client.get("/api/v1/deputies", params={"page": page, "page_size": 200})
            response.raise_for_status()
            body = response.json()
            found.extend((d["id"], d["name"], d["township"]) for d in body["items"])
            if page * body["page_size"] >= body["total"]:
                return found
            page += 1


async def run(settings: NotifySettings) -> bool:
    """Migrate and load the demo directory (and the deputies roster's addresses, when asked)."""
    await migrate(settings)
    roster: list[tuple[str, str, str]] | None = None
    url, token = os.environ.get("DEMO_ROSTER_URL"), os.environ.get("DEMO_TOKEN")
    if url and token:
        try:
            roster = await read_roster(url, token)
        except (httpx.HTTPError, KeyError) as error:
            log.warning("the deputies roster could not be read (%s): no addresses for it", error)
    core = wire(settings)
    try:
        loaded = await load(core.services, roster)
    finally:
        await core.runtime.engine.dispose()
    if roster is not None:
        log.info("notify demo: demo addresses for %d deputies of the roster", len(roster))
    return loaded


def main() -> None:
    """Load the demo directory into the configured database."""
    settings = NotifySettings.for_service("notify")
    configure_logging(service="notify", level=settings.log_level, fmt=settings.log_format)
    loaded = asyncio.run(run(settings))
    log.info("notify demo directory %s", "loaded" if loaded else "already there")
