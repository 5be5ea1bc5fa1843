"""Bad input gets a 422 naming the field; nothing is written and no event is staged."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from deputies.bootstrap import Service
from deputies.testing import bodies
from deputies.testing.api import headers, running_app
from deputies.testing.harness import count, settings_for

pytestmark = pytest.mark.integration

TOWN = "990101001"
OTHER = "990101002"


async def _totals(service: Service) -> tuple[int, ...]:
    t = service.services.tables
    engine = service.runtime.engine
    return (
        await count(engine, t.deputies),
        await count(engine, t.activities),
        await count(engine, t.attendance),
        await count(engine, service.runtime.tables.outbox),
    )


def _fields(response: httpx.Response) -> list[list[Any]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return [e["loc"] for e in response.json()["errors"]]


async def test_refused_inputs_name_the_field_and_change_nothing(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", "990101")
    staff = headers(settings, "township_staff", TOWN)
    async with running_app(settings, relay=False) as (service, client):
        for code in (TOWN, OTHER):
            await client.post("/api/v1/townships", json=bodies.township(code), headers=admin)
        first = bodies.deputy(TOWN)
        mine = (await client.post("/api/v1/deputies", json=first, headers=staff)).json()
        other = (
            await client.post("/api/v1/deputies", json=bodies.deputy(OTHER), headers=admin)
        ).json()
        before = await _totals(service)

        bad_id = first["id_number"][:-1] + ("0" if first["id_number"][-1] != "0" else "1")
        cases: list[tuple[dict[str, Any], list[Any]]] = [
            (bodies.deputy(TOWN, id_number=bad_id), ["body", "id_number"]),
            (bodies.deputy(TOWN, phone="1381234567"), ["body", "phone"]),
            (bodies.deputy(TOWN, phone="23812345678"), ["body", "phone"]),
            (bodies.deputy("990101001", township="990101009"), ["body", "township"]),
            (bodies.deputy(TOWN, id_number=first["id_number"]), ["body", "id_number"]),
        ]
        for body, loc in cases:
            assert loc in _fields(await client.post("/api/v1/deputies", json=body, headers=admin))

        same_person_next_term = bodies.deputy(TOWN, id_number=first["id_number"], term=19)
        assert (
            await client.post("/api/v1/deputies", json=same_person_next_term, headers=staff)
        ).status_code == 201
        before = (before[0] + 1, *before[1:3], before[3] + 1)

        not_on_roster = bodies.activity(TOWN, {mine["id"]: "present", other["id"]: "present"})
        assert ["body", "attendance", other["id"]] in _fields(
            await client.post("/api/v1/activities", json=not_on_roster, headers=staff)
        )
        unknown = bodies.activity(TOWN, {"no-such-deputy": "present"})
        assert ["body", "attendance", "no-such-deputy"] in _fields(
            await client.post("/api/v1/activities", json=unknown, headers=staff)
        )
        missing = bodies.deputy(TOWN)
        del missing["gender"]
        assert ["body", "gender"] in _fields(
            await client.post("/api/v1/deputies", json=missing, headers=staff)
        )
        patch = await client.patch(
            f"/api/v1/deputies/{mine['id']}",
            json={"phone": "12"},
            headers={**staff, "If-Match": '"1"'},
        )
        assert ["body", "phone"] in _fields(patch)
        cleared = await client.patch(
            f"/api/v1/deputies/{mine['id']}",
            json={"name": None},
            headers={**staff, "If-Match": '"1"'},
        )
        assert ["body", "name"] in _fields(cleared)
        no_version = await client.patch(
            f"/api/v1/deputies/{mine['id']}", json={"party": "群众"}, headers=staff
        )
        assert no_version.status_code == 428  # Precondition Required (issue 8, point 1)

        assert await _totals(service) == before
        check = await client.get(f"/api/v1/deputies/{mine['id']}", headers=staff)
        assert check.json()["version"] == 1


async def test_two_concurrent_registrations_of_one_person_make_one_deputy(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", "990101")
    async with running_app(settings, relay=False) as (service, client):
        await client.post("/api/v1/townships", json=bodies.township(TOWN), headers=admin)
        body = bodies.deputy(TOWN)
        responses = await asyncio.gather(
            *(client.post("/api/v1/deputies", json=body, headers=admin) for _ in range(4))
        )
        assert sorted(r.status_code for r in responses) == [201, 422, 422, 422]
        assert all(["body", "id_number"] in _fields(r) for r in responses if r.status_code != 201)
        assert await count(service.runtime.engine, service.services.tables.deputies) == 1
