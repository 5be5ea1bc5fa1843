"""Every leader's instruction (批示) leaves a trace on the timeline and as an event with its text."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cases.testing import bodies
from cases.testing.harness import COUNTY, TOWNSHIP, headers, published, running_app, settings_for

pytestmark = pytest.mark.integration


async def _do(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], auth: Any, version: int
) -> dict[str, Any]:
    response = await client.post(path, json=body, headers={**auth, "If-Match": f'"{version}"'})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_instructions_are_on_the_timeline_and_published_with_their_text(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    leader = headers(settings, "county_leader", COUNTY)
    staff = headers(settings, "township_staff", TOWNSHIP)
    deputy = headers(settings, "deputy", TOWNSHIP, deputy_id="dep-1")
    async with running_app(settings) as (_, client):
        await client.post("/api/v1/units", json=bodies.unit(), headers=admin)
        chased = (
            await client.post("/api/v1/suggestions", json=bodies.suggestion(), headers=deputy)
        ).json()
        chased = await _do(
            client, f"/api/v1/cases/{chased['case_id']}/accept", {}, staff, chased["version"]
        )
        chased = await _do(
            client,
            f"/api/v1/cases/{chased['case_id']}/key-chase",
            {},
            leader,
            chased["version"],
        )
        survivor = (
            await client.post(
                "/api/v1/suggestions",
                json=bodies.suggestion("dep-2", title="拓宽青石村道路"),
                headers=staff,
            )
        ).json()
        survivor = await _do(
            client, f"/api/v1/cases/{survivor['case_id']}/accept", {}, staff, survivor["version"]
        )
        duplicate = (
            await client.post(
                "/api/v1/suggestions",
                json=bodies.suggestion("dep-3", title="青石村道路太窄"),
                headers=staff,
            )
        ).json()
        await _do(
            client,
            f"/api/v1/cases/{duplicate['case_id']}/merge",
            {"merged_into": survivor["case_id"]},
            staff,
            duplicate["version"],
        )
        digest = (
            await client.post(
                "/api/v1/digests",
                json={
                    "scope": COUNTY,
                    "period_start": "2000-01-01",
                    "period_end": "2099-12-31",
                    "title": "人大代表之声",
                },
                headers=admin,
            )
        ).json()
        instruct = f"/api/v1/digests/{digest['digest_id']}/instructions"

        noted = await client.post(
            instruct,
            json={"leader": "张主任", "text": "务必年内办结", "case_id": chased["case_id"]},
            headers=leader,
        )
        assert noted.status_code == 201, noted.text
        assert noted.json()["outcome"] == "noted"
        steps = (
            await client.get(f"/api/v1/cases/{chased['case_id']}/timeline", headers=staff)
        ).json()
        assert steps[-1]["action"] == "instruction"
        assert "务必年内办结" in steps[-1]["comment"]

        routed = await client.post(
            instruct,
            json={"leader": "李副主任", "text": "并案后抓紧办理", "case_id": duplicate["case_id"]},
            headers=leader,
        )
        assert routed.status_code == 201, routed.text
        assert routed.json()["case_id"] == survivor["case_id"]  # the surviving case
        assert routed.json()["asked_case_id"] == duplicate["case_id"]
        assert routed.json()["outcome"] == "key_chase"
        survivor_steps = (
            await client.get(f"/api/v1/cases/{survivor['case_id']}/timeline", headers=staff)
        ).json()
        assert "并案后抓紧办理" in survivor_steps[-1]["comment"]

        # filed x3, triaged (accept x2, merge, closed), key chase x2, digest, instruction x2
        records = await published(topic_prefix, expected=12)
        # two cases, two keys: the topic orders each case's events, not the two cases' against each other
        listed = [
            r["envelope"]["data"]
            for r in records
            if r["envelope"]["type"] == "cases.case.instruction_given"
        ]
        assert len(listed) == 2
        given = {g["text"]: g for g in listed}
        assert {(g["case_id"], t, g["outcome"]) for t, g in given.items()} == {
            (chased["case_id"], "务必年内办结", "noted"),
            (survivor["case_id"], "并案后抓紧办理", "key_chase"),
        }
        assert given["并案后抓紧办理"]["asked_case_id"] == duplicate["case_id"]
