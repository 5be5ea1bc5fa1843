"""Numbers in query strings are bounded: a huge value is a 422, never a database overflow."""

from __future__ import annotations

import pytest

from deputies.testing.api import headers, running_app
from deputies.testing.harness import settings_for

pytestmark = pytest.mark.integration

HUGE = str(10**30)


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/api/v1/roster/export", "term"),
        ("/api/v1/deputies", "term"),
        ("/api/v1/deputies", "page"),
    ],
)
async def test_a_huge_number_is_refused_not_overflowed(
    database_url: str, topic_prefix: str, path: str, param: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    async with running_app(settings, relay=False) as (_, client):
        response = await client.get(
            path, params={param: HUGE}, headers=headers(settings, "county_admin", "990101")
        )
        assert response.status_code == 422, response.text
        assert param in response.text
