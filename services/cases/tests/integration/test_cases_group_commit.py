"""Concurrent filings share transactions (kit.group_commit); each gets its own answer, numbers stay gap-free."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import text

from cases.testing import bodies
from cases.testing.harness import COUNTY, TOWNSHIP, headers, running_app, settings_for
from kit.clock import today

pytestmark = pytest.mark.integration

FILINGS = 50


async def _file(
    client: httpx.AsyncClient, auth: dict[str, str], title: str, deputy: str = "dep-1"
) -> httpx.Response:
    body = bodies.suggestion(deputy, TOWNSHIP, title=title)
    return await client.post("/api/v1/suggestions", json=body, headers=auth)


async def test_fifty_concurrent_filings_get_numbers_1_to_50_and_refusals_burn_none(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix, county_names={COUNTY: "青山县"})
    admin = headers(settings, "county_admin", COUNTY)
    async with running_app(settings) as (service, client):
        async with service.runtime.engine.begin() as conn:  # the database refuses one case row
            await conn.execute(
                text(
                    "CREATE FUNCTION refuse_case() RETURNS trigger AS $$ BEGIN "
                    "IF NEW.title = '拒收' THEN RAISE EXCEPTION 'refused'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            await conn.execute(
                text(
                    "CREATE TRIGGER refuse_case BEFORE INSERT ON cases "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_case()"
                )
            )
        filings = [_file(client, admin, f"关于第{i}条道路的建议") for i in range(FILINGS)]
        filings.insert(10, _file(client, admin, "未知代表的建议", deputy="dep-404"))
        filings.insert(30, _file(client, admin, "拒收"))
        answers = await asyncio.gather(*filings)
        assert answers[10].status_code == 422, answers[10].text
        assert answers[30].status_code == 500, answers[30].text
        filed = [a for i, a in enumerate(answers) if i not in (10, 30)]
        assert [a.status_code for a in filed] == [201] * FILINGS, [a.text for a in filed]
        year = today().year
        assert sorted(a.json()["number"] for a in filed) == sorted(
            f"青山县{year}年建议第{n}号" for n in range(1, FILINGS + 1)
        )
        registry = service.runtime.registry
        batches = registry.get_sample_value(
            "kit_group_commit_batch_size_count", {"name": "filings"}
        )
        items = registry.get_sample_value("kit_group_commit_batch_size_sum", {"name": "filings"})
        assert items == FILINGS + 2
        assert batches is not None
        assert batches < items  # filings shared transactions
        assert registry.get_sample_value("kit_group_commit_split_total", {"name": "filings"}) == 1

        async with service.runtime.engine.connect() as conn:
            counts = (
                await conn.execute(
                    text(
                        "SELECT (SELECT count(*) FROM cases),"
                        " (SELECT count(*) FROM outbox WHERE event_type LIKE '%submitted'),"
                        " (SELECT count(*) FROM audit_log WHERE action = 'submit'),"
                        " (SELECT last FROM case_counters)"
                    )
                )
            ).one()
        assert tuple(counts) == (FILINGS, FILINGS, FILINGS, FILINGS)


async def test_a_database_lost_mid_batch_answers_every_filing_in_it_503_and_burns_no_number(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix, county_names={COUNTY: "青山县"})
    admin = headers(settings, "county_admin", COUNTY)
    async with running_app(settings) as (service, client):
        async with service.runtime.engine.begin() as conn:  # the connection dies inside the write
            await conn.execute(
                text(
                    "CREATE FUNCTION lose_connection() RETURNS trigger AS $$ BEGIN "
                    "PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            await conn.execute(
                text(
                    "CREATE TRIGGER lose_connection BEFORE INSERT ON cases "
                    "FOR EACH ROW EXECUTE FUNCTION lose_connection()"
                )
            )
        answers = await asyncio.gather(*(_file(client, admin, f"建议{i}") for i in range(12)))
        assert [a.status_code for a in answers] == [503] * 12, [a.text for a in answers]
        assert all(a.headers["Retry-After"] for a in answers)
        registry = service.runtime.registry
        batches = registry.get_sample_value(
            "kit_group_commit_batch_size_count", {"name": "filings"}
        )
        assert batches is not None
        assert batches < 12  # whole batches failed at once
        assert registry.get_sample_value("kit_group_commit_split_total", {"name": "filings"}) == 0

        async with service.runtime.engine.begin() as conn:
            await conn.execute(text("DROP TRIGGER lose_connection ON cases"))
        after = await _file(client, admin, "恢复后的建议")
        assert after.status_code == 201, after.text
        assert after.json()["number"] == f"青山县{today().year}年建议第1号"
