"""Concurrent registrations share transactions (kit.group_commit); each gets its own answer."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import text

from deputies.testing import bodies
from deputies.testing.api import headers, running_app
from deputies.testing.harness import settings_for

pytestmark = pytest.mark.integration

TOWN = "990101001"
FORMS = 30


async def _register(
    client: httpx.AsyncClient, auth: dict[str, str], body: dict[str, object], key: str | None = None
) -> httpx.Response:
    extra = {"Idempotency-Key": key} if key else {}
    return await client.post("/api/v1/deputies", json=body, headers={**auth, **extra})


async def test_concurrent_registrations_each_get_their_own_answer(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", "990101")
    staff = headers(settings, "township_staff", TOWN)
    async with running_app(settings) as (service, client):
        made = await client.post("/api/v1/townships", json=bodies.township(TOWN), headers=admin)
        assert made.status_code == 201, made.text
        twin = bodies.id_number()
        forms = [bodies.deputy(TOWN) for _ in range(FORMS)]
        forms[5] = bodies.deputy(TOWN, id_number=twin)
        forms[6] = bodies.deputy(TOWN, id_number=twin)  # refused: the one before has it
        forms[7] = bodies.deputy(TOWN, station_id="no-such-station")
        keys = {8: "form-8"}
        answers = await asyncio.gather(
            *(_register(client, staff, body, keys.get(i)) for i, body in enumerate(forms))
        )
        assert answers[6].status_code == 422, answers[6].text
        assert answers[6].json()["errors"][0]["type"] == "duplicate"
        assert answers[7].status_code == 422, answers[7].text
        created = [a for i, a in enumerate(answers) if i not in (6, 7)]
        assert [a.status_code for a in created] == [201] * (FORMS - 2), [a.text for a in created]
        again = await _register(client, staff, forms[8], key="form-8")  # a retry: the first answer
        assert again.status_code == 201
        assert again.json()["id"] == answers[8].json()["id"]

        registry = service.runtime.registry
        labels = {"name": "registrations"}
        batches = registry.get_sample_value("kit_group_commit_batch_size_count", labels)
        assert registry.get_sample_value("kit_group_commit_batch_size_sum", labels) == FORMS
        assert batches is not None
        assert batches < FORMS  # registrations shared transactions
        assert registry.get_sample_value("kit_group_commit_split_total", labels) == 0
        async with service.runtime.engine.connect() as conn:
            counts = (
                await conn.execute(
                    text(
                        "SELECT (SELECT count(*) FROM deputies),"
                        " (SELECT count(*) FROM outbox WHERE event_type = 'deputies.deputy.registered'),"
                        " (SELECT count(*) FROM audit_log WHERE action = 'create'"
                        "  AND resource_type = 'deputy'),"
                        " (SELECT count(*) FROM status_history)"
                    )
                )
            ).one()
        assert tuple(counts) == (FORMS - 2,) * 4
