"""What the benches' broker holds, and clearing what earlier runs left on it.

A broker that kept the topics of earlier test and bench runs is slower for everyone on it: on
2026-12-01, with 1,578 leftover topics (5.7 GB), the end-to-end stage's ledger p99 was 339–977 ms
in eleven runs; with them deleted, 146–211 ms in three (the same code, minutes apart). So the
suite reports the broker's topics before it measures, and ``python -m bench.broker --prune``
deletes every topic but Kafka's own and the platform's (``contracts.topics.ALL``, their dead
letters): run it when no test or service uses the broker's prefixed topics.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient

from contracts import topics
from kit.testing import bootstrap_servers

CROWDED = 200
"""Topics beyond which the suite warns that the broker slows what it measures."""


@dataclass(frozen=True)
class BrokerState:
    """How many topics and partitions a broker holds, and how many of them are leftovers."""

    topics: int
    partitions: int
    leftovers: int


def leftover(name: str) -> bool:
    """Tell whether a topic is a run's own (prefixed), not Kafka's or the platform's."""
    if name.startswith("__"):
        return False
    own = name in topics.ALL or name.startswith(tuple(f"{t}." for t in topics.ALL))
    return not own


async def state(servers: str | None = None) -> BrokerState:
    """Return what the broker holds now."""
    admin = AIOKafkaAdminClient(bootstrap_servers=servers or bootstrap_servers())
    await admin.start()
    try:
        names = [n for n in await admin.list_topics() if not n.startswith("__")]
        described = await admin.describe_topics(names) if names else []
        partitions = sum(len(t.get("partitions", ())) for t in described)
        return BrokerState(len(names), partitions, sum(leftover(n) for n in names))
    finally:
        await admin.close()


async def prune(servers: str | None = None) -> int:
    """Delete every leftover topic; return how many went."""
    admin = AIOKafkaAdminClient(bootstrap_servers=servers or bootstrap_servers())
    await admin.start()
    try:
        names = [n for n in await admin.list_topics() if leftover(n)]
        for start in range(0, len(names), 200):
            await admin.delete_topics(names[start : start + 200], timeout_ms=120_000)
            print(f"deleted {min(start + 200, len(names))} of {len(names)} topics", flush=True)
        return len(names)
    finally:
        await admin.close()


def main(argv: list[str] | None = None) -> None:
    """Print the broker's state; with ``--prune`` delete the leftover topics first."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prune", action="store_true", help="delete every leftover topic")
    args = parser.parse_args(argv)
    if args.prune:
        asyncio.run(prune())
    now = asyncio.run(state())
    print(f"{now.topics} topics, {now.partitions} partitions, {now.leftovers} left by earlier runs")


if __name__ == "__main__":
    main()
