"""deputies and cases SIGKILLed while clients write to them: no accepted write lost, none doubled.

Clients write as a careful client does: each logical write carries an ``Idempotency-Key`` and is
retried (transport errors, 5xx) until it is answered 201. The service process is SIGKILLed in the
middle of the load and started again (same database, same topics). Afterwards:

- every write answered 201 has exactly one effect (one deputy / one case per key, the same id on
  every answer), and its event is on the topic (copies of the relay's last round are allowed; the
  first copies are in order per key);
- for deputies, the cases service's roster projection (a consumer of deputies.events) holds every
  deputy registered, once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from reliability_harness import Instance, platform, write_report
from writes import (
    CLIENTS,
    WRITES,
    check_answers,
    drained_platform,
    first_copies,
    load_with_fault,
    write_until_accepted,
)

from cases.testing import bodies as case_bodies
from contracts import topics
from deputies.testing import bodies as dep_bodies
from kit.testing import published_all, wait_until


def restart(instance: Instance) -> Callable[[], Awaitable[None]]:
    """The fault: SIGKILL the instance, then start it again on the same database and topics."""

    async def fault() -> None:
        await instance.kill9()
        await instance.start()

    return fault


pytestmark = [pytest.mark.integration, pytest.mark.reliability, pytest.mark.timeout(900)]

TOWN = "990101002"


async def test_deputies_killed_under_load_loses_and_doubles_no_registration() -> None:
    async with platform("sigkill-deputies", ["deputies", "cases"]) as p:
        deputies, _ = await asyncio.gather(p.start("deputies"), p.start("cases"))
        await write_until_accepted(deputies, "/api/v1/townships", dep_bodies.township(TOWN), "town")
        answered = await load_with_fault(
            deputies,
            "/api/v1/deputies",
            lambda n: dep_bodies.deputy(TOWN, name=f"代表{n:04d}"),
            restart(deputies),
        )
        ids = await check_answers(answered)
        assert len(ids) == CLIENTS * WRITES
        rows = await p.scalar("deputies", "SELECT count(*) FROM deputies")
        assert rows == len(ids)  # no registration doubled by a retry across the kill
        await drained_platform(p, "deputies")
        records = await published_all(p.topic(topics.DEPUTIES))
        registered = first_copies(records, "deputies.deputy.registered")
        assert set(registered) == ids  # every accepted registration published
        assert all(v == [1] for v in registered.values())  # once per deputy

        async def projected() -> bool:
            return await p.scalar("cases", "SELECT count(*) FROM deputies") >= len(ids)

        await wait_until(projected, within=120, interval=0.5)
        assert await p.scalar("cases", "SELECT count(*) FROM deputies") == len(ids)
    write_report(
        "sigkill-deputies",
        {"writes": len(ids), "events": len(records), "copies": len(records) - len(ids) - 1},
    )


async def test_cases_killed_under_load_loses_and_doubles_no_suggestion() -> None:
    async with platform("sigkill-cases", ["deputies", "cases"]) as p:
        deputies, cases = await asyncio.gather(p.start("deputies"), p.start("cases"))
        await write_until_accepted(deputies, "/api/v1/townships", dep_bodies.township(TOWN), "town")
        lead = await write_until_accepted(
            deputies, "/api/v1/deputies", dep_bodies.deputy(TOWN), "lead"
        )

        async def lead_known() -> bool:
            return await p.scalar("cases", "SELECT count(*) FROM deputies") == 1

        await wait_until(lead_known, within=120, interval=0.5)
        answered = await load_with_fault(
            cases,
            "/api/v1/suggestions",
            lambda n: case_bodies.suggestion(
                str(lead["id"]), TOWN, title=f"关于第{n}号村道拓宽的建议"
            ),
            restart(cases),
        )
        ids = await check_answers(answered)
        assert len(ids) == CLIENTS * WRITES
        assert await p.scalar("cases", "SELECT count(*) FROM cases") == len(ids)
        await drained_platform(p, "cases")
        records = await published_all(p.topic(topics.CASES))
        submitted = first_copies(records, "cases.suggestion.submitted")
        assert set(submitted) == ids  # every accepted suggestion published
        assert all(len(v) == 1 for v in submitted.values())  # once each
    write_report("sigkill-cases", {"writes": len(ids), "events": len(records)})
