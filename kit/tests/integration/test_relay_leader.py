"""Two relays on one PostgreSQL database: one publishes, the other takes over when it stops."""

from __future__ import annotations

import pytest
from kit_harness import event, make_schema, settings_for, start_runtime

from contracts import topics
from kit.testing import drained, read_all, read_topic, wait_until

pytestmark = pytest.mark.integration


async def test_two_relays_publish_each_event_once_in_order_and_fail_over(
    database_url: str, topic_prefix: str
) -> None:
    schema = make_schema()
    settings = settings_for(database_url, topic_prefix)
    first = await start_runtime(settings, schema, [])
    second = await start_runtime(settings, schema, [])
    topic = topic_prefix + topics.DEPUTIES
    try:

        async def one_leader() -> bool:
            return first.relay.is_leader != second.relay.is_leader

        await wait_until(one_leader)
        leader, standby = (first, second) if first.relay.is_leader else (second, first)
        ids = []
        async with leader.uow() as uow:
            for i in range(50):
                envelope = event("deputy-7", f"first-{i}")
                ids.append(str(envelope.id))
                uow.stage(envelope)
            await uow.commit()
        records = await read_topic(topic, expected=50)
        assert [dict(r.headers)["ce_id"].decode() for r in records] == ids

        await leader.stop()

        async def took_over() -> bool:
            return standby.relay.is_leader

        await wait_until(took_over, within=20)
        async with standby.uow() as uow:
            for i in range(50):
                envelope = event("deputy-7", f"second-{i}")
                ids.append(str(envelope.id))
                uow.stage(envelope)
            await uow.commit()
        await drained(standby.engine, standby.tables.outbox)
        records = await read_all(topic)  # exactly what reached the topic: no copy, no gap
        assert [dict(r.headers)["ce_id"].decode() for r in records] == ids
    finally:
        await first.stop()
        await second.stop()
