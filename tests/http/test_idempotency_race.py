"""One Idempotency-Key sent eight times at once: one case, no 500, the others 409 or the replay."""

from __future__ import annotations

import asyncio

import pytest

from cases.testing import bodies
from cases.testing.harness import TOWNSHIP, count, headers, running_app, settings_for

pytestmark = pytest.mark.integration


async def test_eight_concurrent_posts_with_one_key_file_one_case(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    deputy = headers(settings, "deputy", TOWNSHIP, deputy_id="dep-1")
    key = {"Idempotency-Key": "race-1"}
    body = bodies.suggestion("dep-1")
    async with running_app(settings) as (service, client):
        responses = await asyncio.gather(
            *(
                client.post("/api/v1/suggestions", json=body, headers={**deputy, **key})
                for _ in range(8)
            )
        )
        statuses = sorted(r.status_code for r in responses)
        assert set(statuses) <= {201, 409}, [r.text for r in responses]
        assert statuses.count(201) >= 1
        created = {r.json()["case_id"] for r in responses if r.status_code == 201}
        assert len(created) == 1
        for refused in (r for r in responses if r.status_code == 409):
            assert refused.headers["Retry-After"] == "1"
            assert refused.json()["title"] == "Request in progress"
        cases = service.services.tables.cases
        assert await count(service.runtime.engine, cases) == 1
        retry = await client.post("/api/v1/suggestions", json=body, headers={**deputy, **key})
        assert retry.status_code == 201
        assert retry.json()["case_id"] in created
