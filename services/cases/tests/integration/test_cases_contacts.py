"""A constituent's contacts: in clear for the receiving deputy, the township and the lead unit only."""

from __future__ import annotations

import json

import pytest

from cases.testing import bodies
from cases.testing.harness import COUNTY, TOWNSHIP, count, headers, running_app, settings_for

pytestmark = pytest.mark.integration

CLEAR = {"name": "王小明", "phone": "13812345678", "address": "浙江省杭州市西湖区青石村12号"}
MASKED = {"name": "王某", "phone": "138****5678", "address": "浙江省杭州市西湖区"}


async def test_contacts_are_masked_for_everyone_who_does_not_need_them(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    readers = {
        "receiving deputy": (headers(settings, "deputy", TOWNSHIP, deputy_id="dep-1"), CLEAR),
        "township staff": (headers(settings, "township_staff", TOWNSHIP), CLEAR),
        "lead unit": (headers(settings, "handling_unit", COUNTY, unit_id="traffic"), CLEAR),
        "co-handler": (headers(settings, "handling_unit", COUNTY, unit_id="water"), MASKED),
        "county admin": (admin, MASKED),
        "county leader": (headers(settings, "county_leader", COUNTY), MASKED),
        "auditor": (headers(settings, "auditor", COUNTY), MASKED),
    }
    async with running_app(settings, relay=False) as (service, client):
        for unit_id, name in bodies.UNITS[:2]:
            await client.post("/api/v1/units", json=bodies.unit(unit_id, name), headers=admin)
        deputy = readers["receiving deputy"][0]
        case = (await client.post("/api/v1/opinions", json=bodies.opinion(), headers=deputy)).json()
        assert case["constituent"] == CLEAR
        for path, payload in (
            ("accept", {}),
            ("assign", {"lead_unit_id": "traffic", "co_unit_ids": ["water"]}),
        ):
            case = (
                await client.post(
                    f"/api/v1/cases/{case['case_id']}/{path}",
                    json=payload,
                    headers={**admin, "If-Match": f'"{case["version"]}"'},
                )
            ).json()
        audit = service.runtime.tables.audit_log
        for who, (auth, expected) in readers.items():
            seen = await count(service.runtime.engine, audit, audit.c.action == "read_contacts")
            shown = (await client.get(f"/api/v1/cases/{case['case_id']}", headers=auth)).json()
            assert shown["constituent"] == expected, who
            assert shown["contacts_in_clear"] is (expected is CLEAR), who
            after = await count(service.runtime.engine, audit, audit.c.action == "read_contacts")
            assert after == seen + (expected is CLEAR), who  # reading contacts in clear is audited
        listed = (await client.get("/api/v1/cases", headers=readers["township staff"][0])).json()
        assert "constituent" not in listed["items"][0]  # lists never carry contacts
        events = service.runtime.tables.outbox
        async with service.runtime.engine.connect() as conn:
            payloads = [
                json.dumps(json.loads(r.payload), ensure_ascii=False)
                for r in await conn.execute(events.select())
            ]
        assert not any("13812345678" in p or "王小明" in p for p in payloads)
