"""The broker killed and started again under load: writes go on, every consumer ends with every effect once.

The four services run as processes on a Kafka broker of the test's own (deploy/kafka/kafka.sh on
free ports; the shared broker is never stopped). Clients register deputies at the deputies service;
after a third of the writes the broker is SIGKILLed, stays down for a few seconds while the clients
go on (writes are accepted into the outbox), and is started again. Afterwards every accepted
registration is on deputies.events once in effect, and each consumer's projection of the roster
(cases, scoring, notify) holds every deputy exactly once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from reliability_harness import SERVICES, PrivateKafka, platform, write_report
from writes import (
    check_answers,
    drained_platform,
    first_copies,
    load_with_fault,
    write_until_accepted,
)

from contracts import topics
from deputies.testing import bodies as dep_bodies
from kit.testing import described, read_all, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.reliability, pytest.mark.timeout(900)]

TOWN = "990101002"
DOWN_SECONDS = 8.0
ROSTERS = {
    "deputies": "SELECT count(*) FROM deputies",
    "cases": "SELECT count(*) FROM deputies",
    "scoring": "SELECT count(*) FROM deputies",
    "notify": "SELECT count(*) FROM recipients WHERE kind = 'deputy'",
}
"""How many deputies each service knows."""


@pytest.fixture
def broker() -> Iterator[PrivateKafka]:
    """A broker of the test's own."""
    kafka = PrivateKafka()
    try:
        kafka.start()
        yield kafka
    finally:
        kafka.close()


async def test_the_broker_killed_under_load_loses_and_doubles_nothing(broker: PrivateKafka) -> None:
    outage: dict[str, float] = {}
    async with platform("broker-outage", servers=broker.servers) as p:
        started = await asyncio.gather(*(p.start(name) for name in SERVICES))
        deputies = started[0]
        await write_until_accepted(deputies, "/api/v1/townships", dep_bodies.township(TOWN), "town")

        async def kill_and_restart() -> None:
            await asyncio.to_thread(broker.kill9)
            outage["killed"] = time.monotonic()
            before = await p.scalar("deputies", "SELECT count(*) FROM deputies")
            await asyncio.sleep(DOWN_SECONDS)
            outage["accepted_while_down"] = (
                await p.scalar("deputies", "SELECT count(*) FROM deputies") - before
            )
            await asyncio.to_thread(broker.start)
            outage["answering_again_after_s"] = round(time.monotonic() - outage.pop("killed"), 1)

        answered = await load_with_fault(
            deputies,
            "/api/v1/deputies",
            lambda n: dep_bodies.deputy(TOWN, name=f"代表{n:04d}"),
            kill_and_restart,
        )
        ids = await check_answers(answered)
        assert outage["accepted_while_down"] > 0  # the outbox took writes while the broker was down
        await drained_platform(p, "deputies")
        registered = first_copies(
            described(await read_all(p.topic(topics.DEPUTIES), servers=broker.servers)),
            "deputies.deputy.registered",
        )
        assert set(registered) == ids
        assert all(v == [1] for v in registered.values())
        for name, sql in ROSTERS.items():

            async def complete(name: str = name, sql: str = sql) -> bool:
                return await p.scalar(name, sql) >= len(ids)

            await wait_until(complete, within=180, interval=0.5)
            assert await p.scalar(name, sql) == len(ids), name
    write_report("broker-outage", {"writes": len(ids), **outage})
