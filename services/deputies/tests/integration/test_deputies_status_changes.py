"""Status changes mean what their dates say, are per mandate and can be corrected by the county."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from deputies.jobs import apply_status_changes
from deputies.testing import bodies
from deputies.testing.api import headers, running_app
from deputies.testing.harness import outbox_types, published, settings_for
from kit import clock

pytestmark = pytest.mark.integration

COUNTY = "990101"
TOWN = "990101001"
OTHER = "990101002"


async def test_a_future_resignation_is_scheduled_applied_on_its_day_and_correctable(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    staff = headers(settings, "township_staff", TOWN)
    async with running_app(settings) as (service, client):
        await client.post("/api/v1/townships", json=bodies.township(TOWN), headers=admin)
        deputy = (
            await client.post("/api/v1/deputies", json=bodies.deputy(TOWN), headers=staff)
        ).json()
        url = f"/api/v1/deputies/{deputy['id']}"
        day = clock.today() + timedelta(days=30)
        body = {"status": "terminated", "reason": "resignation", "effective_date": day.isoformat()}
        assert (await client.post(f"{url}/status", json=body, headers=staff)).status_code in {
            422,
            428,
        }  # no If-Match: refused
        scheduled = await client.post(
            f"{url}/status", json=body, headers={**staff, "If-Match": '"1"'}
        )
        assert scheduled.status_code == 200, scheduled.text
        assert scheduled.json()["status"] == "active"  # not yet
        history = (await client.get(f"{url}/history", headers=staff)).json()
        assert [(h["to_status"], h["state"]) for h in history] == [
            ("active", "applied"),
            ("terminated", "scheduled"),
        ]

        assert await apply_status_changes(service.services) == 0  # its day has not come
        on_the_day = datetime.combine(day, datetime.min.time(), tzinfo=clock.CHINA).astimezone(UTC)
        later = dataclasses.replace(service.services, clock=lambda: on_the_day + timedelta(hours=1))
        assert await apply_status_changes(later) == 1
        assert await apply_status_changes(later) == 0
        ended = (await client.get(url, headers=staff)).json()
        assert ended["status"] == "terminated"
        assert ended["status_since"] == day.isoformat()

        # A typo ended the mandate: only a county role undoes it, with a reason.
        fix = {"reason": "辞职日期录入错误"}
        version = f'"{ended["version"]}"'
        refused = await client.post(
            f"{url}/status/corrections", json=fix, headers={**staff, "If-Match": version}
        )
        assert refused.status_code == 403
        undone = await client.post(
            f"{url}/status/corrections", json=fix, headers={**admin, "If-Match": version}
        )
        assert undone.status_code == 200, undone.text
        assert undone.json()["status"] == "active"
        assert undone.json()["status_since"] == deputy["elected_on"]
        history = (await client.get(f"{url}/history", headers=staff)).json()
        assert [h["state"] for h in history] == ["applied", "corrected"]
        types = await outbox_types(service.runtime.engine, service.runtime.tables.outbox)
        records = await published(topic_prefix, expected=len(types))  # the relay still runs
    assert len(records) == len(types)
    mine = [r["envelope"] for r in records if r["key"] == deputy["id"]]
    assert [e["type"] for e in mine] == [
        "deputies.deputy.registered",
        "deputies.deputy.status_change_scheduled",
        "deputies.deputy.status_changed",
        "deputies.deputy.status_corrected",
    ]
    change_id = mine[1]["data"]["change_id"]
    assert mine[2]["data"]["effective_date"] == day.isoformat()
    assert mine[3]["data"]["corrected_change_id"] == change_id
    assert mine[3]["data"]["status"] == "active"
    assert mine[3]["data"]["reason"] == "辞职日期录入错误"


async def test_township_staff_change_only_township_mandates_and_403_comes_before_409(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    staff = headers(settings, "township_staff", TOWN)
    other_staff = headers(settings, "township_staff", OTHER)
    leader = headers(settings, "county_leader", COUNTY)
    async with running_app(settings) as (service, client):
        for code in (TOWN, OTHER):
            await client.post("/api/v1/townships", json=bodies.township(code), headers=admin)
        both = (
            await client.post(
                "/api/v1/deputies",
                json=bodies.deputy(TOWN, levels=["county", "township"]),
                headers=admin,
            )
        ).json()
        url = f"/api/v1/deputies/{both['id']}"
        end = {"status": "terminated", "reason": "moved_out", "effective_date": "2026-06-01"}
        county = await client.post(
            f"{url}/status", json={**end, "level": "county"}, headers={**staff, "If-Match": '"1"'}
        )
        assert county.status_code == 403
        whole = await client.post(f"{url}/status", json=end, headers={**staff, "If-Match": '"1"'})
        assert whole.status_code == 422  # two mandates: the change must name one
        township = await client.post(
            f"{url}/status",
            json={**end, "level": "township"},
            headers={**staff, "If-Match": '"1"'},
        )
        assert township.status_code == 200, township.text
        assert township.json()["levels"] == ["county"]
        assert township.json()["status"] == "active"

        # Version 2 now: roles that may not write get 403 even with the stale version 1.
        stale = {"If-Match": '"1"'}
        suspend = {"status": "suspended", "reason": "custody", "effective_date": "2026-07-01"}
        for auth in (leader, other_staff):
            answer = await client.post(f"{url}/status", json=suspend, headers={**auth, **stale})
            assert answer.status_code == 403, answer.text
            patch = await client.patch(url, json={"party": "群众"}, headers={**auth, **stale})
            assert patch.status_code == 403, patch.text
        assert (
            await client.patch(url, json={"party": "群众"}, headers={**admin, **stale})
        ).status_code == 409
        types = await outbox_types(service.runtime.engine, service.runtime.tables.outbox)
        records = await published(topic_prefix, expected=len(types))  # the relay still runs
    assert len(records) == len(types)
    changed = [r["envelope"]["data"] for r in records if r["key"] == both["id"]][-1]
    assert changed["levels"] == ["township"]
    assert changed["to_status"] == "terminated"


async def test_suspension_and_reinstatement_are_per_mandate_and_say_which(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    staff = headers(settings, "township_staff", TOWN)
    async with running_app(settings) as (service, client):
        await client.post("/api/v1/townships", json=bodies.township(TOWN), headers=admin)
        both = (
            await client.post(
                "/api/v1/deputies",
                json=bodies.deputy(TOWN, levels=["county", "township"]),
                headers=admin,
            )
        ).json()
        url = f"/api/v1/deputies/{both['id']}"

        async def change(auth: dict[str, str], body: dict[str, str]) -> httpx.Response:
            version = (await client.get(url, headers=admin)).json()["version"]
            return await client.post(
                f"{url}/status", json=body, headers={**auth, "If-Match": f'"{version}"'}
            )

        def mandates(item: dict[str, Any]) -> dict[str, str]:
            return {m["level"]: m["status"] for m in item["mandates"]}

        suspend = {"status": "suspended", "reason": "custody", "effective_date": "2026-06-01"}
        # Township staff suspend the township mandate of a deputy who also sits in the county.
        township = await change(staff, {**suspend, "level": "township"})
        assert township.status_code == 200, township.text
        assert mandates(township.json()) == {"county": "active", "township": "suspended"}
        assert township.json()["status"] == "active"  # the county mandate still runs
        assert (await change(staff, {**suspend, "level": "county"})).status_code == 403
        county = await change(admin, {**suspend, "level": "county"})
        assert county.status_code == 200, county.text
        assert county.json()["status"] == "suspended"  # every mandate is suspended now
        back = {"status": "active", "reason": "reinstated", "effective_date": "2026-07-01"}
        assert (await change(staff, {**back, "level": "county"})).status_code == 403
        reinstated = await change(staff, {**back, "level": "township"})
        assert reinstated.status_code == 200, reinstated.text
        assert mandates(reinstated.json()) == {"county": "suspended", "township": "active"}
        assert reinstated.json()["status"] == "active"

        # A scheduled reinstatement of the county mandate does not block the township one.
        later = (clock.today() + timedelta(days=20)).isoformat()
        scheduled = await change(admin, {**back, "level": "county", "effective_date": later})
        assert scheduled.status_code == 200, scheduled.text
        assert mandates(scheduled.json())["county"] == "suspended"  # not yet
        again = await change(
            staff, {**suspend, "level": "township", "effective_date": "2026-08-01"}
        )
        assert again.status_code == 200, again.text
        assert again.json()["status"] == "suspended"

        # The county undoes the township suspension by naming the mandate; the schedule stays.
        version = f'"{again.json()["version"]}"'
        fixed = await client.post(
            f"{url}/status/corrections",
            json={"reason": "误录", "level": "township"},
            headers={**admin, "If-Match": version},
        )
        assert fixed.status_code == 200, fixed.text
        assert mandates(fixed.json()) == {"county": "suspended", "township": "active"}
        history = (await client.get(f"{url}/history", headers=admin)).json()
        assert [(h["level"], h["to_status"], h["state"]) for h in history] == [
            (None, "active", "applied"),
            ("township", "suspended", "applied"),
            ("county", "suspended", "applied"),
            ("township", "active", "applied"),
            ("county", "active", "scheduled"),
            ("township", "suspended", "corrected"),
        ]
        on_the_day = datetime.combine(
            date.fromisoformat(later), datetime.min.time(), tzinfo=clock.CHINA
        ).astimezone(UTC)
        moved = dataclasses.replace(service.services, clock=lambda: on_the_day + timedelta(hours=1))
        assert await apply_status_changes(moved) == 1
        done = (await client.get(url, headers=admin)).json()
        assert mandates(done) == {"county": "active", "township": "active"}
        types = await outbox_types(service.runtime.engine, service.runtime.tables.outbox)
        records = await published(topic_prefix, expected=len(types))  # the relay still runs
    assert len(records) == len(types)
    mine = [r["envelope"] for r in records if r["key"] == both["id"]]
    changed = [e["data"] for e in mine if e["type"] == "deputies.deputy.status_changed"]
    assert [
        (c["level"], c["from_status"], c["to_status"], c["deputy_status"]) for c in changed
    ] == [
        ("township", "active", "suspended", "active"),
        ("county", "active", "suspended", "suspended"),
        ("township", "suspended", "active", "active"),
        ("township", "active", "suspended", "suspended"),
        ("county", "suspended", "active", "active"),
    ]
    assert changed[0]["mandate_levels"] == ["county", "township"]
    corrected = [e["data"] for e in mine if e["type"] == "deputies.deputy.status_corrected"]
    assert [(c["level"], c["status"], c["deputy_status"]) for c in corrected] == [
        ("township", "active", "active")
    ]
