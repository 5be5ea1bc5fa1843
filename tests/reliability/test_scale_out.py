"""Two instances of scoring and of notify share their topics' partitions; one dies mid-backlog.

Both processes join the service's consumer group (topics of 4 partitions, each instance owns some);
a backlog is put on the topics; when about a quarter of it is done one instance is SIGKILLed. The
other must take its partitions over and finish: every event's effect once in the database, none
lost, none doubled. The time to take over is measured from the SIGKILL to (a) the group stable
again with the survivor alone and (b) every partition that still had a backlog at the kill
committing progress again; it is printed and written to .local/reliability/scale-out-<service>.json.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from aiokafka import TopicPartition
from backlogs import Backlog, NotifyBacklog, ScoringBacklog
from reliability_harness import (
    CONSUMED,
    Platform,
    assignments,
    caught_up,
    committed,
    end_offsets,
    platform,
    produce,
    write_report,
)

from kit.testing import wait_until
from notify.testing.servers import smtp_server

pytestmark = [pytest.mark.integration, pytest.mark.reliability, pytest.mark.timeout(900)]

SESSION_TIMEOUT_MS = 6000  # the broker's smallest allowed session (group.min.session.timeout.ms)
HEARTBEAT_MS = 1000


async def take_over(
    platform_: Platform,
    service: str,
    killed_at: float,
    ends: dict[TopicPartition, int],
    at_kill: dict[TopicPartition, int],
) -> dict[str, float]:
    """Wait until the group is stable again and every partition with a backlog at the kill progresses."""
    servers, group = platform_.servers, platform_.group(service)
    pending = {tp for tp, end in ends.items() if at_kill[tp] < end}
    assert pending, "the backlog was finished before the kill: nothing left to take over"
    progressed: dict[str, float] = {}
    stable_after: float | None = None
    deadline = time.monotonic() + 120
    while pending - {tp for tp in pending if str(tp) in progressed} or stable_after is None:
        assert time.monotonic() < deadline, "the survivor did not take the partitions over"
        now = await committed(servers, group, pending)
        elapsed = time.monotonic() - killed_at
        for tp in pending:
            if now[tp] > at_kill[tp] and str(tp) not in progressed:
                progressed[str(tp)] = elapsed
        if stable_after is None:
            members = await assignments(servers, group)
            if members is not None and len(members) == 1:
                stable_after = time.monotonic() - killed_at
        await asyncio.sleep(0.2)
    return {
        "rebalanced_after_s": round(stable_after, 2),
        "all_partitions_progressing_after_s": round(max(progressed.values()), 2),
        "partitions_with_backlog_at_kill": len(pending),
    }


async def scale_out(backlog: Backlog, **extra_env: str) -> dict[str, object]:
    """Run the scenario for one service; return what was measured."""
    service = backlog.service
    env = {
        "CONSUMER_MAX_RECORDS": "100",
        "CONSUMER_SESSION_TIMEOUT_MS": str(SESSION_TIMEOUT_MS),
        "CONSUMER_HEARTBEAT_INTERVAL_MS": str(HEARTBEAT_MS),
        **extra_env,
    }
    async with platform(f"scale-out-{service}", [service], extra_env=env) as p:
        first = await p.start(service)  # migrates the database
        await backlog.prepare(p)
        second = await p.start(service)
        names = [p.topic(t) for t in CONSUMED[service]]

        async def both_own_partitions() -> bool:
            members = await assignments(p.servers, p.group(service))
            return members is not None and len(members) == 2 and all(members)

        await wait_until(both_own_partitions, within=60, interval=0.3)
        await produce(p.servers, p.prefix, backlog.events)
        ends = await end_offsets(p.servers, names)
        total = sum(ends.values())
        at_kill: dict[TopicPartition, int] = {}

        async def a_quarter_done() -> bool:
            at_kill.update(await committed(p.servers, p.group(service), ends))
            return sum(at_kill.values()) >= total // 4

        # the snapshot the predicate took is the state at the kill: no round trip between them
        await wait_until(a_quarter_done, within=300, interval=0.1)
        killed_at = time.monotonic()
        await first.kill9()
        done_at_kill = sum(at_kill.values())
        measured = await take_over(p, service, killed_at, ends, at_kill)

        async def finished() -> bool:
            return await caught_up(p.servers, p.group(service), names)

        await wait_until(finished, within=300, interval=0.5)
        assert second.process is not None
        assert second.process.returncode is None
        counts = await backlog.check(p)
    report: dict[str, object] = {
        "service": service,
        "instances": 2,
        "partitions_per_topic": 4,
        "records": total,
        "committed_at_kill": done_at_kill,
        "consumer_session_timeout_ms": SESSION_TIMEOUT_MS,
        "consumer_heartbeat_interval_ms": HEARTBEAT_MS,
        **measured,
        **counts,
    }
    write_report(f"scale-out-{service}", report)
    return report


async def test_two_scoring_instances_one_killed_mid_backlog_lose_and_double_nothing() -> None:
    report = await scale_out(ScoringBacklog(1200))
    assert report["committed_at_kill"] < report["records"]  # type: ignore[operator]


async def test_two_notify_instances_one_killed_mid_backlog_lose_and_double_nothing() -> None:
    with smtp_server() as (_, port):
        report = await scale_out(
            NotifyBacklog(3000), NOTIFY_SMTP_HOST="127.0.0.1", NOTIFY_SMTP_PORT=str(port)
        )
    assert report["committed_at_kill"] < report["records"]  # type: ignore[operator]
