"""Topics fit for replay on the real broker: events kept forever, dead letters 30 days, ISR from settings."""

from __future__ import annotations

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from kit_harness import make_schema, recording_handler, settings_for, start_runtime

from contracts import topics
from contracts.topics import dead_letter
from kit.broker import ensure_platform_topics, ensure_topics
from kit.runner import Subscription
from kit.testing import bootstrap_servers, delete_topics, new_topic_prefix, unique, wait_until

pytestmark = pytest.mark.integration

THIRTY_DAYS_MS = str(30 * 24 * 3600 * 1000)


async def describe(names: list[str]) -> dict[str, dict[str, str]]:
    """Return each topic's effective configs as the broker reports them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers())
    await admin.start()
    try:
        responses = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, n) for n in names]
        )
    finally:
        await admin.close()
    return {
        r["resource_name"]: {e["config_names"]: e["config_value"] for e in r["config_entries"]}
        for response in responses
        for r in response.to_object()["resources"]
    }


async def test_event_topics_keep_everything_and_dead_letter_topics_thirty_days(
    database_url: str, topic_prefix: str
) -> None:
    schema = make_schema()
    group = "kittest.retention"
    subscription = Subscription(
        group, (topics.DEPUTIES,), {"deputies.township.registered": recording_handler(schema)}
    )
    runtime = await start_runtime(settings_for(database_url, topic_prefix), schema, [subscription])
    try:
        events = [topic_prefix + t for t in topics.ALL]
        dlq = dead_letter(topic_prefix + topics.DEPUTIES, group)

        async def created() -> bool:
            return dlq in set(await _topics())

        await wait_until(created)
        configs = await describe([*events, dlq])
    finally:
        await runtime.stop()
    for name in events:
        assert configs[name]["retention.ms"] == "-1", name
        assert configs[name]["min.insync.replicas"] == "1", name
    assert int(configs[dlq]["retention.ms"]) >= int(THIRTY_DAYS_MS)


async def test_an_existing_topic_with_seven_days_is_corrected_and_keeps_its_other_settings(
    topic_prefix: str,
) -> None:
    name = topic_prefix + topics.CASES
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers())
    await admin.start()
    try:
        await admin.create_topics(
            [
                NewTopic(
                    name,
                    num_partitions=1,
                    replication_factor=1,
                    topic_configs={"retention.ms": "604800000", "max.message.bytes": "2000000"},
                )
            ]
        )
    finally:
        await admin.close()
    settings = settings_for("postgresql+asyncpg://unused/unused", topic_prefix)
    await ensure_platform_topics(settings, [name])
    config = (await describe([name]))[name]
    assert config["retention.ms"] == "-1"
    assert config["max.message.bytes"] == "2000000"


async def _topics() -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers())
    await admin.start()
    try:
        return list(await admin.list_topics())
    finally:
        await admin.close()


async def test_a_test_run_deletes_the_topics_under_its_prefixes_and_no_others(
    topic_prefix: str,
) -> None:
    mine, other = new_topic_prefix(), unique("t") + "."
    names = [mine + "a.events", mine + "a.events.dlq", other + "a.events"]
    await ensure_topics(bootstrap_servers(), names, partitions=1)
    assert await delete_topics({mine}) == 2

    async def gone() -> bool:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers())
        await admin.start()
        try:
            left = set(await admin.list_topics())
        finally:
            await admin.close()
        return not left & set(names[:2]) and names[2] in left

    await wait_until(gone, within=30)
    assert await delete_topics({other}) == 1
