"""Poison in every topic each service consumes: dead-lettered, the partition goes on, `./dev dlq` replays.

cases, scoring and notify run as processes on one topic prefix. Into each topic they read, three
poison records are put on one partition, followed by a valid event behind them on the same key: a
value that is not JSON (headers of a type the consumers read), an envelope whose data breaks the
contract, and a record without CloudEvents headers. Every consumer of the topic must dead-letter the
three to ``<topic>.dlq.<group>`` and commit past the valid event (its partition is not blocked).
Then ``kit-dlq list`` (what ``./dev dlq list`` runs) shows a dead-letter topic's three records and
``kit-dlq replay`` puts them back on the original topic (marked ``dlq_replayed_from``), where they
are dead-lettered once more (they are still poison) and the partition still goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from reliability_harness import CONSUMED, GROUPS, Platform, caught_up, platform

from contracts import topics
from contracts.catalog import model_for, new_envelope, to_bytes
from contracts.common import EventData
from contracts.envelope import Envelope
from kit import dlq_cli
from kit.broker import ensure_topics
from kit.testing import read_all, wait_until
from notify.templates.samples import TYPICAL
from scoring.testing.events import deputy

pytestmark = [pytest.mark.integration, pytest.mark.reliability, pytest.mark.timeout(900)]

READ_TYPES = {
    topics.DEPUTIES: "deputies.deputy.registered",
    topics.CASES: "cases.case.replied",
    topics.SCORING: "scoring.grade.changed",
}
"""A type every consumer of the topic reads (so the poison is not merely ignored)."""

POISONS = 3


def valid(event_type: str) -> Envelope[Any]:
    """A valid event of a type, as its producer would publish it."""
    if event_type == "deputies.deputy.registered":
        data: EventData = deputy("D-poison", "990101001")
    else:
        model = model_for(event_type)
        assert model is not None
        data = model.model_validate(TYPICAL[event_type])
    return new_envelope(data, source="/services/" + event_type.split(".")[0], correlationid="rel")


def headers(envelope: Envelope[Any]) -> list[tuple[str, bytes]]:
    """The record headers the relay writes for an envelope."""
    return [(k, v.encode()) for k, v in envelope.headers().items()]


def poison(event_type: str) -> list[tuple[bytes, list[tuple[str, bytes]]]]:
    """Three records no consumer can apply: not JSON, data against the contract, no headers."""
    against = valid(event_type)
    body = json.loads(to_bytes(against))
    body["data"] = {"unexpected": True}
    return [
        (b"{not json", headers(valid(event_type))),
        (json.dumps(body).encode(), headers(against)),
        (to_bytes(valid(event_type)), []),
    ]


async def put_poison(p: Platform) -> None:
    """Poison, then a valid event, on partition 0 of every topic the services read."""
    names = [p.topic(t) for t in READ_TYPES]
    await ensure_topics(p.servers, names, partitions=4)
    producer = AIOKafkaProducer(bootstrap_servers=p.servers, enable_idempotence=True)
    await producer.start()
    try:
        for topic, event_type in READ_TYPES.items():
            for value, attached in poison(event_type):
                await producer.send_and_wait(
                    p.topic(topic), value, key=b"poison", headers=attached, partition=0
                )
            after = valid(event_type)
            await producer.send_and_wait(
                p.topic(topic), to_bytes(after), key=b"poison", headers=headers(after), partition=0
            )
    finally:
        await producer.stop()


async def dead_letters(p: Platform, service: str, topic: str) -> int:
    """How many records the dead-letter topic of a service's group over a topic holds."""
    return len(
        await read_all(topics.dead_letter(p.topic(topic), GROUPS[service]), servers=p.servers)
    )


async def everyone_went_on(p: Platform, expected: int) -> None:
    """Wait until every consumer committed past everything and dead-lettered ``expected`` per topic."""
    for service, read in CONSUMED.items():
        names = [p.topic(t) for t in read]

        async def done(service: str = service, names: list[str] = names) -> bool:
            return await caught_up(p.servers, p.group(service), names)

        await wait_until(done, within=120, interval=0.5)
        for topic in read:
            assert await dead_letters(p, service, topic) == expected, (service, topic)


async def dlq(p: Platform, *args: str) -> str:
    """Run `kit-dlq` (what `./dev dlq` runs: its ``main``) against the platform's broker; its output."""
    out = io.StringIO()

    def run() -> int:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            return dlq_cli.main(["--bootstrap-servers", p.servers, *args])

    assert await asyncio.to_thread(run) == 0, out.getvalue()
    return out.getvalue()


async def test_poison_in_every_consumed_topic_is_dead_lettered_and_replayable() -> None:
    async with platform("poison", list(CONSUMED)) as p:
        await asyncio.gather(*(p.start(name) for name in CONSUMED))
        await put_poison(p)
        await everyone_went_on(p, POISONS)

        dead = topics.dead_letter(p.topic(topics.CASES), GROUPS["notify"])
        listed = await dlq(p, "list", "--topic", dead)
        assert f"{POISONS} dead letter(s) in {dead}" in listed
        assert "invalid_envelope" in listed
        assert "missing_header" in listed
        replayed = await dlq(p, "replay", "--topic", dead)
        assert f"{POISONS} dead letter(s) replayed from {dead}" in replayed
        back = [
            r
            for r in await read_all(p.topic(topics.CASES), servers=p.servers)
            if any(k == dlq_cli.REPLAYED_FROM for k, _ in r.headers)
        ]
        assert len(back) == POISONS  # on the original topic again, marked as replayed

        async def dead_lettered_again() -> bool:
            return await dead_letters(p, "notify", topics.CASES) == 2 * POISONS

        await wait_until(dead_lettered_again, within=60, interval=0.5)
        names = [p.topic(t) for t in CONSUMED["notify"]]
        assert await caught_up(p.servers, p.group("notify"), names)
        # scoring read the same replayed records: it dead-letters them too
        await wait_until(
            lambda: _count_is(p, "scoring", topics.CASES, 2 * POISONS), within=60, interval=0.5
        )


async def _count_is(p: Platform, service: str, topic: str, expected: int) -> bool:
    return await dead_letters(p, service, topic) == expected
