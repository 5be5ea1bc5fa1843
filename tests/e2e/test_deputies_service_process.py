"""The deputies service as operators run it: `python -m deputies`, real PostgreSQL and Kafka.

Drives the public HTTP API of the running process and watches its topic; stops it with SIGTERM.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from processes import Running, bearer, drained, service_process

from kit.auth import Role
from kit.testing import read_all

pytestmark = pytest.mark.integration

TOWN = "990101002"


@pytest.fixture
async def service() -> AsyncIterator[Running]:
    """Start `python -m deputies` on a fresh database; yield its URL, topic prefix, database."""
    async with service_process("deputies") as running:
        yield running


async def test_a_registered_deputy_is_served_masked_and_published(
    service: Running,
) -> None:
    base, prefix = service.base, service.prefix
    admin = bearer(Role.county_admin, "990101")
    staff = bearer(Role.township_staff, TOWN)
    other = bearer(Role.township_staff, "990101001")
    async with httpx.AsyncClient(base_url=base) as client:
        created = await client.post(
            "/api/v1/townships",
            json={"code": TOWN, "name": "石桥镇", "kind": "town"},
            headers=admin,
        )
        assert created.status_code == 201, created.text
        body = {
            "township": TOWN,
            "name": "王秀英",
            "gender": "female",
            "levels": ["township"],
            "term": 18,
            "elected_on": "2021-12-28",
            "birth_date": "1978-05-04",
            "ethnicity": "汉族",
            "party": "群众",
            "occupation": "石桥镇卫生院医生",
            "sector": "卫生",
            "electoral_district": "第3选区",
            "deputy_group": "第一代表小组",
            "phone": "13812345678",
            "id_number": "11010519491231002X",
            "address": "青山县石桥镇新华村3组12号",
        }
        bad = await client.post("/api/v1/deputies", json={**body, "phone": "12345"}, headers=staff)
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")
        deputy = await client.post(
            "/api/v1/deputies", json=body, headers={**staff, "X-Correlation-ID": "e2e-flow"}
        )
        assert deputy.status_code == 201, deputy.text
        deputy_id = deputy.json()["id"]
        assert (await client.get(f"/api/v1/deputies/{deputy_id}", headers=other)).status_code == 403
        listed = (await client.get(f"/api/v1/deputies?township={TOWN}", headers=admin)).json()
        assert [d["phone"] for d in listed["items"]] == ["138****5678"]
        metrics = (await client.get("/metrics")).text
        http = [line for line in metrics.splitlines() if line.startswith("kit_http_requests_total")]
        assert any('method="POST",route="/api/v1/deputies"' in line for line in http), http
        assert not any(deputy_id in line for line in http)  # ids never become label values

    await drained(service)
    records = await read_all(prefix + "deputies.events")
    assert len(records) == 2  # exactly: nothing refused was published, nothing twice
    events = {e["type"]: e for e in (json.loads(r.value or b"") for r in records)}
    assert sorted(events) == ["deputies.deputy.registered", "deputies.township.registered"]
    registered = events["deputies.deputy.registered"]  # keys differ, so partitions may too
    assert registered["subject"] == deputy_id
    assert registered["correlationid"] == "e2e-flow"
    assert "13812345678" not in json.dumps(registered, ensure_ascii=False)
