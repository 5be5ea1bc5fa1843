"""Consumer groups carry the deployment's prefix, so tests and counties sharing a cluster never share one."""

from __future__ import annotations

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from kit_harness import event, make_schema, recording_handler, settings_for, start_runtime

from contracts import topics
from kit.runner import Subscription
from kit.testing import bootstrap_servers, wait_until

pytestmark = pytest.mark.integration

GROUP = "kittest.shared"  # the same logical group in every test run


async def _groups() -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers())
    await admin.start()
    try:
        return {str(g[0]) for g in await admin.list_consumer_groups()}
    finally:
        await admin.close()


async def test_the_kafka_group_id_is_prefixed_like_the_topics(
    database_url: str, topic_prefix: str
) -> None:
    schema = make_schema()
    subscription = Subscription(
        GROUP, (topics.DEPUTIES,), {"deputies.township.registered": recording_handler(schema)}
    )
    runtime = await start_runtime(settings_for(database_url, topic_prefix), schema, [subscription])
    try:
        async with runtime.uow() as uow:
            uow.stage(event("agg-1", "one"))
            await uow.commit()

        async def joined() -> bool:
            return topic_prefix + GROUP in await _groups()

        await wait_until(joined, within=30)
        inbox = runtime.tables.inbox
        consumers: set[str] = set()

        async def applied() -> bool:
            async with runtime.engine.connect() as conn:
                rows = (await conn.execute(inbox.select())).mappings().all()
            consumers.clear()
            consumers.update(r["consumer"] for r in rows)
            return bool(rows)

        await wait_until(applied)
        # the inbox keeps the logical group: a new prefix re-reads, and the inbox dedupes
        assert consumers == {GROUP}
    finally:
        await runtime.stop()


def test_a_separate_group_prefix_wins_over_the_topic_prefix() -> None:
    settings = settings_for("postgresql+asyncpg://x/y", "county-a.", kafka_group_prefix="ci-7.")
    assert settings.consumer_group_id(GROUP) == "ci-7." + GROUP
    assert settings_for("postgresql+asyncpg://x/y", "county-a.").consumer_group_id(GROUP) == (
        "county-a." + GROUP
    )
