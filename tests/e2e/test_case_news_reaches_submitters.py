"""Submitters hear about their case: merged, assigned, replied travel from cases to notify over Kafka.

The cases service runs its HTTP API and relay; notify consumes ``cases.events`` on the same topic
prefix and plans a delivery per submitting deputy and channel (its own directory knows them).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from cases.testing import bodies
from cases.testing.harness import (
    COUNTY,
    TOWNSHIP,
    headers,
    running_app as cases_app,
    settings_for as cases_settings,
)
from contracts.vocabulary import RecipientKind
from kit.testing import bootstrap_servers, fresh_database, unique, wait_until
from notify.bootstrap import migrate as notify_migrate
from notify.domain.model import Channel, RecipientRef
from notify.settings import NotifySettings
from notify.wiring import Core, wire

pytestmark = pytest.mark.integration

EXPECTED = {
    ("dep-1", "cases.case.assigned.deputy"),
    ("dep-1", "cases.case.replied"),
    ("dep-5", "cases.case.triaged.merged"),  # filed the duplicate, then heard of the merge
    ("dep-5", "cases.case.assigned.deputy"),  # a submitter of the surviving case from then on
    ("dep-5", "cases.case.replied"),
}


async def _step(
    client: httpx.AsyncClient, case: dict[str, Any], path: str, body: dict[str, Any], auth: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/cases/{case['case_id']}/{path}",
        json=body,
        headers={**auth, "If-Match": f'"{case["version"]}"'},
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def _deputy(core: Core, deputy_id: str) -> None:
    ref = RecipientRef(RecipientKind.deputy, deputy_id)
    async with core.services.uow() as uow:
        store = core.services.store(uow)
        await store.upsert_recipient(ref, name=f"代表{deputy_id}", township=TOWNSHIP, active=True)
        await store.set_contact(ref, Channel.email, f"{deputy_id}@example.cn")
        await uow.commit()


async def test_the_submitting_deputies_hear_of_the_merge_the_assignment_and_the_reply() -> None:
    prefix = unique("news") + "."
    async with fresh_database() as cases_url, fresh_database() as notify_url:
        cas = cases_settings(cases_url, prefix)
        ns = NotifySettings.for_service(
            "notify",
            database_url=notify_url,
            kafka_bootstrap_servers=bootstrap_servers(),
            kafka_topic_prefix=prefix,
            kafka_topic_partitions=3,
            relay_poll_seconds=0.2,
            job_interval_seconds=0.2,
            jwt_secret="notify-tests-hs256-secret-of-32-bytes-long",
        )
        await notify_migrate(ns)
        notify = wire(ns)
        await notify.runtime.start(relay=False, consumers=True, jobs=False)
        try:
            for deputy in ("dep-1", "dep-5"):
                await _deputy(notify, deputy)
            admin = headers(cas, "county_admin", COUNTY)
            unit = headers(cas, "handling_unit", COUNTY, unit_id="traffic")
            async with cases_app(cas) as (_, client):
                await client.post("/api/v1/units", json=bodies.unit(), headers=admin)
                filed = await client.post(
                    "/api/v1/suggestions", json=bodies.suggestion("dep-1"), headers=admin
                )
                duplicate = await client.post(
                    "/api/v1/suggestions",
                    json=bodies.suggestion("dep-5", title="关于青石村道路拓宽改造的建议"),
                    headers=admin,
                )
                case = await _step(client, filed.json(), "accept", {}, admin)
                await _step(
                    client, duplicate.json(), "merge", {"merged_into": case["case_id"]}, admin
                )
                case = (await client.get(f"/api/v1/cases/{case['case_id']}", headers=admin)).json()
                assert case["deputy_ids"] == ["dep-1", "dep-5"]
                case = await _step(client, case, "assign", {"lead_unit_id": "traffic"}, admin)
                await _step(client, case, "reply", {"reply_class": "A", "text": "已拓宽"}, unit)

                d = notify.services.tables.deliveries
                query = select(d.c.recipient_id, d.c.template, d.c.subject).where(
                    d.c.recipient_kind == "deputy", d.c.channel == "email"
                )
                seen: set[tuple[str, str]] = set()

                async def heard() -> bool:
                    async with notify.runtime.engine.connect() as conn:
                        rows = (await conn.execute(query)).all()
                    seen.clear()
                    seen.update((r.recipient_id, r.template) for r in rows)
                    return seen >= EXPECTED

                await wait_until(heard, within=90, interval=0.3)
        finally:
            await notify.runtime.stop()
    assert seen >= EXPECTED
    assert ("dep-1", "cases.case.triaged.merged") not in seen  # the survivor was not merged
