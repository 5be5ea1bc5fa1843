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
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from reliability_harness import Instance, Platform, bearer, platform, write_report

from cases.testing import bodies as case_bodies
from contracts import topics
from deputies.testing import bodies as dep_bodies
from kit.testing import published_all, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.reliability, pytest.mark.timeout(480)]

CLIENTS = 6
WRITES = 40  # per client
TOWN = "990101002"


async def write_until_accepted(
    instance: Instance, path: str, body: dict[str, Any], key: str
) -> dict[str, Any]:
    """POST with an Idempotency-Key until it is answered 201 (retrying while the process is down)."""
    deadline = time.monotonic() + 240
    while True:
        try:
            async with httpx.AsyncClient(base_url=instance.base, timeout=30) as client:
                answer = await client.post(
                    path, json=body, headers={**bearer(), "Idempotency-Key": key}
                )
            if answer.status_code == 201:
                return dict(answer.json())
            assert answer.status_code >= 500, (answer.status_code, answer.text[:300])
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{path} never accepted {key}"
        await asyncio.sleep(0.2)


async def load_with_a_kill(
    instance: Instance, path: str, body: Callable[[int], dict[str, Any]]
) -> dict[str, list[str]]:
    """Run the clients; SIGKILL the instance after a third of the writes and start it again.

    Returns the ids answered for each idempotency key (all answers of a key must agree).
    """
    answered: dict[str, list[str]] = defaultdict(list)
    done = 0
    killed = asyncio.Event()
    a_third = asyncio.Event()

    async def client(c: int) -> None:
        nonlocal done
        for w in range(WRITES):
            key = f"rel-{c}-{w}-{uuid.uuid4().hex[:6]}"
            created = await write_until_accepted(instance, path, body(c * WRITES + w), key)
            answered[key].append(str(created["id"]))
            if w % 5 == 0:  # the same key again: the recorded answer, not a second effect
                again = await write_until_accepted(instance, path, body(c * WRITES + w), key)
                answered[key].append(str(again["id"]))
            done += 1
            if done >= CLIENTS * WRITES // 3:
                a_third.set()

    async def killer() -> None:
        await a_third.wait()
        await instance.kill9()
        killed.set()
        await instance.start()

    await asyncio.gather(killer(), *(client(c) for c in range(CLIENTS)))
    assert killed.is_set()
    return answered


def first_copies(records: list[dict[str, Any]], event_type: str) -> dict[str, list[int]]:
    """Per key, the aggregate versions of the first copy of each event, in topic order."""
    seen: set[str] = set()
    versions: dict[str, list[int]] = defaultdict(list)
    for r in records:  # partition order
        envelope = r["envelope"]
        if envelope["type"] == event_type and envelope["id"] not in seen:
            seen.add(envelope["id"])
            versions[r["key"]].append(int(envelope["data"].get("aggregate_version", 1)))
    return versions


async def check_answers(answered: dict[str, list[str]]) -> set[str]:
    """Every key answered with one id; return the ids."""
    for key, ids in answered.items():
        assert len(set(ids)) == 1, (key, ids)  # a retried key never made a second record
    return {ids[0] for ids in answered.values()}


async def test_deputies_killed_under_load_loses_and_doubles_no_registration() -> None:
    async with platform("sigkill-deputies", ["deputies", "cases"]) as p:
        deputies, _ = await asyncio.gather(p.start("deputies"), p.start("cases"))
        await write_until_accepted(deputies, "/api/v1/townships", dep_bodies.township(TOWN), "town")
        answered = await load_with_a_kill(
            deputies, "/api/v1/deputies", lambda n: dep_bodies.deputy(TOWN, name=f"代表{n:04d}")
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
        answered = await load_with_a_kill(
            cases,
            "/api/v1/suggestions",
            lambda n: case_bodies.suggestion(
                str(lead["id"]), TOWN, title=f"关于第{n}号村道拓宽的建议"
            ),
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


async def drained_platform(p: Platform, name: str) -> None:
    """Wait until a service's relay has published every outbox row."""

    async def empty() -> bool:
        return await p.scalar(name, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0

    await wait_until(empty, within=120, interval=0.5)
