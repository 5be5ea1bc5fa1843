"""The leader's rounds: a round's mark reads the next round's rows; commits meanwhile join in order."""

from __future__ import annotations

import asyncio

import pytest
from kit_harness import event, make_schema, settings_for, start_runtime

from contracts import topics
from kit.testing import drained, read_all, wait_until

pytestmark = pytest.mark.integration


async def test_rounds_of_small_batches_publish_every_row_once_in_seq_order(
    database_url: str, topic_prefix: str
) -> None:
    # batches of 7: almost every round is marked together with the read of the next one
    settings = settings_for(database_url, topic_prefix, relay_batch_size=7)
    runtime = await start_runtime(settings, make_schema(), [])
    try:

        async def leading() -> bool:
            return runtime.relay.is_leader

        await wait_until(leading)
        ids: list[str] = []
        for n in range(12):  # commits while earlier rounds are in flight, some of many rows
            async with runtime.uow() as uow:
                for i in range(1 + (n % 4) * 9):
                    envelope = event(f"deputy-{i % 3}", f"commit-{n}-{i}")
                    ids.append(str(envelope.id))
                    uow.stage(envelope)
                await uow.commit()
            await asyncio.sleep(0.003 * (n % 3))
        await drained(runtime.engine, runtime.tables.outbox)
        records = await read_all(topic_prefix + topics.DEPUTIES)
        published = [dict(r.headers)["ce_id"].decode() for r in records]
        assert sorted(published) == sorted(ids)  # each once: none lost, none doubled
        for key in {r.key for r in records}:  # per key, in the order of commit
            of_key = [dict(r.headers)["ce_id"].decode() for r in records if r.key == key]
            assert of_key == [i for i in ids if i in set(of_key)]
        sent = runtime.registry.get_sample_value(
            "kit_relay_published_total",
            {"service": "kittest", "topic": topic_prefix + topics.DEPUTIES},
        )
        assert sent == len(ids)
    finally:
        await runtime.stop()
