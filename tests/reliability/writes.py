"""Writes under a fault: clients that retry with an Idempotency-Key, and what reached the topics."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from reliability_harness import Instance, Platform, bearer

from kit.testing import wait_until

CLIENTS = 6
WRITES = 40
"""Concurrent clients, and logical writes of each."""


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


def identity(created: dict[str, Any]) -> str:
    """The id of a created record (``id``, or ``case_id`` for cases)."""
    return str(created.get("id") or created["case_id"])


async def load_with_fault(
    instance: Instance,
    path: str,
    body: Callable[[int], dict[str, Any]],
    fault: Callable[[], Awaitable[None]],
) -> dict[str, list[str]]:
    """Run the clients; after a third of the writes run ``fault`` while they go on writing.

    Returns the ids answered for each idempotency key (all answers of a key must agree).
    """
    answered: dict[str, list[str]] = defaultdict(list)
    done = 0
    faulted = asyncio.Event()
    a_third = asyncio.Event()

    async def client(c: int) -> None:
        nonlocal done
        for w in range(WRITES):
            key = f"rel-{c}-{w}-{uuid.uuid4().hex[:6]}"
            sent = body(c * WRITES + w)  # one logical write: the same body on every retry
            created = await write_until_accepted(instance, path, sent, key)
            answered[key].append(identity(created))
            if w % 5 == 0:  # the same key again: the recorded answer, not a second effect
                again = await write_until_accepted(instance, path, sent, key)
                answered[key].append(identity(again))
            done += 1
            if done >= CLIENTS * WRITES // 3:
                a_third.set()

    async def injector() -> None:
        await a_third.wait()
        await fault()
        faulted.set()

    await asyncio.gather(injector(), *(client(c) for c in range(CLIENTS)))
    assert faulted.is_set()
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


async def drained_platform(p: Platform, name: str) -> None:
    """Wait until a service's relay has published every outbox row."""

    async def empty() -> bool:
        return await p.scalar(name, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0

    await wait_until(empty, within=120, interval=0.5)
