"""A case's steps are on the audit log with the state before and after, read through the API."""

from __future__ import annotations

import pytest

from cases.testing import bodies
from cases.testing.harness import COUNTY, TOWNSHIP, headers, running_app, settings_for

pytestmark = pytest.mark.integration


async def test_each_step_records_what_it_changed_and_auditors_read_it(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    auditor = headers(settings, "auditor", COUNTY)
    unit = headers(settings, "handling_unit", COUNTY, unit_id="traffic")
    async with running_app(settings, relay=False) as (_, client):
        for unit_id, name in bodies.UNITS:
            await client.post("/api/v1/units", json=bodies.unit(unit_id, name), headers=admin)
        case = (
            await client.post("/api/v1/suggestions", json=bodies.suggestion("dep-1"), headers=admin)
        ).json()
        path = f"/api/v1/cases/{case['case_id']}"
        for step, body in (("accept", {}), ("assign", {"lead_unit_id": "traffic"})):
            done = await client.post(
                f"{path}/{step}", json=body, headers={**admin, "If-Match": f'"{case["version"]}"'}
            )
            assert done.status_code == 200, done.text
            case = done.json()

        assert (await client.get("/api/v1/audit", headers=unit)).status_code == 403
        read = await client.get(
            "/api/v1/audit",
            params={"resource_type": "case", "resource_id": case["case_id"]},
            headers=auditor,
        )
        assert read.status_code == 200, read.text
        entries = {e["action"]: e for e in read.json()["items"]}
        accepted = entries["accept"]["detail"]["changes"]
        assert accepted["state"] == {"before": "received", "after": "accepted"}
        assigned = entries["assign"]["detail"]["changes"]
        assert assigned["state"] == {"before": "accepted", "after": "assigned"}
        assert assigned["units"]["after"] == ["lead:traffic"]
        assert assigned["due_on"]["before"] is None
        assert assigned["due_on"]["after"] == case["due_on"]
        assert entries["assign"]["township"] == TOWNSHIP
        refused = await client.get(
            "/api/v1/audit",
            params={"action": "refuse", "actor": "handling_unit-990101-traffic"},
            headers=auditor,
        )
        assert [e["outcome"] for e in refused.json()["items"]] == ["refused_403"]
