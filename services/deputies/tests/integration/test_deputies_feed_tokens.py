"""Feed tokens end where the rights behind them end: expiry, a mandate ended, the county's list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from deputies.testing import bodies
from deputies.testing.api import headers, running_app
from deputies.testing.harness import settings_for

pytestmark = pytest.mark.integration

TOWN = "990101001"
OTHER = "990101002"


async def test_a_feed_token_expires_ends_with_the_mandate_and_the_county_sees_them_all(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix, feed_token_days=30)
    admin = headers(settings, "county_admin", "990101")
    staff = headers(settings, "township_staff", TOWN)
    async with running_app(settings) as (service, client):
        for code in (TOWN, OTHER):
            await client.post("/api/v1/townships", json=bodies.township(code), headers=admin)
        deputy = (
            await client.post("/api/v1/deputies", json=bodies.deputy(TOWN), headers=staff)
        ).json()
        own = headers(settings, "deputy", TOWN, deputy_id=deputy["id"])
        mine = await client.post(
            "/api/v1/calendar/feed-tokens",
            json={"kind": "deputy", "key": deputy["id"]},
            headers=own,
        )
        assert mine.status_code == 201, mine.text
        town = await client.post(
            "/api/v1/calendar/feed-tokens", json={"kind": "township", "key": TOWN}, headers=staff
        )
        issued = mine.json()
        assert issued["expires_at"] > issued["created_at"]
        assert (await client.get(issued["url"])).status_code == 200
        assert (await client.get(town.json()["url"])).status_code == 200

        # the county administration lists every token of the county; nobody else may
        listed = await client.get("/api/v1/calendar/feed-tokens?owners=county", headers=admin)
        assert listed.status_code == 200, listed.text
        assert {t["id"] for t in listed.json()} == {issued["id"], town.json()["id"]}
        assert {t["subject"] for t in listed.json()} == {
            f"deputy-{TOWN}-{deputy['id']}",
            f"township_staff-{TOWN}",
        }
        for caller in (staff, own):
            refused = await client.get("/api/v1/calendar/feed-tokens?owners=county", headers=caller)
            assert refused.status_code == 403, refused.text
        elsewhere = headers(settings, "county_admin", "990102")
        assert (
            await client.get("/api/v1/calendar/feed-tokens?owners=county", headers=elsewhere)
        ).json() == []
        assert (
            await client.get("/api/v1/calendar/feed-tokens?owners=all", headers=admin)
        ).status_code == 422

        # the mandate ends: the deputy's token opens nothing, the staff's still does
        ended = await client.post(
            f"/api/v1/deputies/{deputy['id']}/status",
            json={"status": "terminated", "reason": "resignation", "effective_date": "2026-06-01"},
            headers={**staff, "If-Match": '"1"'},
        )
        assert ended.status_code == 200, ended.text
        closed = await client.get(issued["url"])
        assert closed.status_code == 401
        assert "holder_not_serving" in closed.text
        assert (await client.get(town.json()["url"])).status_code == 200

        # a token older than its lifetime opens nothing either
        engine = create_async_engine(database_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "UPDATE feed_tokens SET created_at = created_at - make_interval("
                        "secs => :age) WHERE id = :id"
                    ),
                    {"age": timedelta(days=30, seconds=1).total_seconds(), "id": town.json()["id"]},
                )
        finally:
            await engine.dispose()
        expired = await client.get(town.json()["url"])
        assert expired.status_code == 401
        assert "expired" in expired.text
        counted = {
            reason: service.runtime.registry.get_sample_value(
                "kit_http_refusals_total", {"service": "deputies", "reason": reason}
            )
            for reason in ("invalid_token", "expired_token")
        }
        assert counted == {"invalid_token": 1, "expired_token": 1}
