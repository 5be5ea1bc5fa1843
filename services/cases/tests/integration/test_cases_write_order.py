"""Authorise before the precondition: a role that may not write gets 403 even with a stale If-Match."""

from __future__ import annotations

import pytest

from cases.testing import bodies
from cases.testing.harness import COUNTY, TOWNSHIP, headers, running_app, settings_for

pytestmark = pytest.mark.integration


async def test_a_role_that_may_not_write_is_refused_before_its_version_is_checked(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    staff = headers(settings, "township_staff", TOWNSHIP)
    admin = headers(settings, "county_admin", COUNTY)
    async with running_app(settings, relay=False) as (_, client):
        await client.post("/api/v1/units", json=bodies.unit(), headers=admin)
        case = (
            await client.post("/api/v1/suggestions", json=bodies.suggestion(), headers=staff)
        ).json()
        accepted = await client.post(
            f"/api/v1/cases/{case['case_id']}/accept",
            json={},
            headers={**staff, "If-Match": f'"{case["version"]}"'},
        )
        assert accepted.status_code == 200, accepted.text
        stale = {"If-Match": f'"{case["version"]}"'}  # the version before the accept
        path = f"/api/v1/cases/{case['case_id']}"
        for role, scope, extra in (
            ("auditor", COUNTY, {}),
            ("county_leader", COUNTY, {}),
            ("deputy", TOWNSHIP, {"deputy_id": "dep-1"}),  # reads its own case, may not assign
        ):
            who = headers(settings, role, scope, **extra)
            refused = await client.post(
                f"{path}/assign", json={"lead_unit_id": "traffic"}, headers={**who, **stale}
            )
            assert refused.status_code == 403, (role, refused.text)
        ghost = await client.post(
            f"{path}/assign",
            json={"lead_unit_id": "ghost"},
            headers={**headers(settings, "auditor", COUNTY), **stale},
        )
        assert ghost.status_code == 403  # authorised before the unit is validated
        conflict = await client.post(
            f"{path}/assign", json={"lead_unit_id": "traffic"}, headers={**staff, **stale}
        )
        assert conflict.status_code == 409  # a role that may write learns its read is stale
        merge = await client.post(
            f"{path}/merge",
            json={"merged_into": case["case_id"]},
            headers={**headers(settings, "auditor", COUNTY), **stale},
        )
        assert merge.status_code == 403
