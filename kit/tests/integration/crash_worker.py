"""A separate process for fault tests: runs a consumer or a relay until it is killed.

``consume``: runs a consumer group whose handler records effects; with ``--die-before-offset-commit``
the process SIGKILLs itself inside the Kafka offset commit, i.e. after the effects committed.
``relay``: runs only the outbox relay.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from typing import Any

import aiokafka
from kit_harness import make_schema, recording_handler, settings_for

from contracts import topics
from kit.runner import Subscription
from kit.runtime import build_runtime


async def main() -> None:
    """Run the chosen role until SIGTERM or SIGKILL."""
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["consume", "relay"])
    parser.add_argument("--db", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--group", default="kittest.crash")
    parser.add_argument("--die-before-offset-commit", action="store_true")
    args = parser.parse_args()

    if args.die_before_offset_commit:

        async def die(*_: Any, **__: Any) -> None:
            os.kill(os.getpid(), signal.SIGKILL)

        aiokafka.AIOKafkaConsumer.commit = die

    schema = make_schema()
    subscription = Subscription(
        args.group, (topics.DEPUTIES,), {"deputies.township.registered": recording_handler(schema)}
    )
    settings = settings_for(args.db, args.prefix, relay_batch_size=50)
    runtime = build_runtime(
        settings,
        metadata=schema.metadata,
        subscriptions=[subscription] if args.role == "consume" else [],
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await runtime.start(relay=args.role == "relay", consumers=args.role == "consume")
    print("started", flush=True)
    await stop.wait()
    await runtime.stop()


if __name__ == "__main__":
    asyncio.run(main())
