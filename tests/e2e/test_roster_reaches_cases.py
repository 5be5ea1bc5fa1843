"""Townships and deputies travel from the deputies service to the cases service over Kafka.

The cases service keeps a projection (inbox-guarded): names for its reports, and a mandate that
ended refuses new suggestions in that deputy's name.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from cases.testing import bodies as case_bodies
from cases.testing.harness import (
    headers as case_headers,
    running_app as cases_app,
    settings_for as cases_settings,
)
from deputies.testing import bodies as dep_bodies
from deputies.testing.api import headers as dep_headers, running_app as deputies_app
from deputies.testing.harness import settings_for as deputies_settings
from kit.testing import fresh_database, unique, wait_until

pytestmark = pytest.mark.integration
TOWN = "990101002"


async def test_a_terminated_mandate_reaches_cases_and_refuses_new_filings() -> None:
    prefix = unique("roster") + "."
    async with fresh_database() as dep_url, fresh_database() as cases_url:
        dep = deputies_settings(dep_url, prefix)
        cas = cases_settings(cases_url, prefix)
        admin = dep_headers(dep, "county_admin", "990101")
        async with (
            deputies_app(dep) as (_, dclient),
            cases_app(cas, consumers=True) as (cases, cclient),
        ):
            assert (
                await dclient.post(
                    "/api/v1/townships", json=dep_bodies.township(TOWN), headers=admin
                )
            ).status_code == 201
            created = await dclient.post(
                "/api/v1/deputies", json=dep_bodies.deputy(TOWN), headers=admin
            )
            assert created.status_code == 201, created.text
            deputy: dict[str, Any] = created.json()
            ended = await dclient.post(
                f"/api/v1/deputies/{deputy['id']}/status",
                json={
                    "status": "terminated",
                    "reason": "resignation",
                    "effective_date": "2026-03-01",
                },
                headers={**admin, "If-Match": f'"{deputy["version"]}"'},
            )
            assert ended.status_code == 200, ended.text

            tables = cases.services.tables

            async def projected() -> bool:
                async with cases.runtime.engine.connect() as conn:
                    status = await conn.scalar(
                        select(tables.deputies.c.status).where(
                            tables.deputies.c.deputy_id == deputy["id"]
                        )
                    )
                    name = await conn.scalar(
                        select(tables.townships.c.name).where(tables.townships.c.code == TOWN)
                    )
                return status == "terminated" and name == "石桥镇"

            await wait_until(projected, within=30, interval=0.2)
            staff = case_headers(cas, "township_staff", TOWN)
            refused = await cclient.post(
                "/api/v1/suggestions",
                json=case_bodies.suggestion(deputy["id"], TOWN),
                headers=staff,
            )
            assert refused.status_code == 422, refused.text
            assert "mandate_ended" in refused.text
            ok = cases.runtime.registry.get_sample_value(
                "kit_consumer_processed_total",
                {"service": "cases", "group": "cases.roster", "outcome": "ok"},
            )
            assert ok is not None
            assert ok >= 3  # township, deputy, status change: each applied through the inbox
