"""Bench of notify's intake alone: a mixed stream of events → delivery rows committed.

The end-to-end bench's notify part, without the sender and the other services: per "suggestion"
a ``cases.suggestion.submitted`` (routed to the township staff now, as that bench's override
does), scoring's ``points.recorded`` for its deputy (the deputy's digest: an in-app item and a
failed e-mail, no address), a ``score.changed`` (silent) every other one and a
``grade.changed`` every 100th. A process of its own publishes them at ``--rate`` suggestions a
second for ``--seconds`` to a fresh topic prefix, as the producers' relays would; notify runs its
consumer and relay only (no sender: its rows stay pending), on a fresh database.

Measured, from the first event to the last delivery row: the split of notify's
``notify_delivery_stage_seconds`` (event time → intake started, ``taken_in``; intake started →
rows committed, ``committed``), read exactly from the rows (``created_at`` is the intake's start)
and from the histogram (interpolated in its buckets); the consumer's batches (kit's
``consumer_handle_seconds``: count and mean), SQL statements a batch, and notify's CPU a
suggestion (the process's CPU over the run).

Run: ``.venv/bin/python services/notify/bench_intake.py [--rate 100] [--seconds 20]`` with
``TEST_DATABASE_URL`` and ``KAFKA_BOOTSTRAP_SERVERS``; main's code instead of the worktree's by
putting its ``services/notify/src`` first on ``PYTHONPATH``. Progress on stderr, one JSON line
of numbers on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from aiokafka import AIOKafkaProducer
from sqlalchemy import event as sa_event, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))

from notify_harness import running_core, settings_for

from contracts import topics
from contracts.catalog import model_for, new_envelope, to_bytes
from contracts.vocabulary import RecipientKind
from kit.testing import bootstrap_servers, emit_results, fresh_database, unique, wait_until
from notify.domain.directory import Office
from notify.domain.model import Channel, RecipientRef

TOWN = "330102001"
DEPUTIES = 20
ROUTES = {
    "cases.suggestion.submitted": [
        {"audience": "township_staff", "template": "cases.suggestion.submitted", "timing": "now"}
    ]
}


def say(message: str) -> None:
    """Print one progress line."""
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def envelopes(n: int) -> list[Any]:
    """Return the events of the n-th suggestion, in the order their producers publish them."""
    deputy = f"D-{n % DEPUTIES:03d}"
    case = f"C-bench-{n:06d}"
    made: list[tuple[str, dict[str, Any]]] = [
        (
            "cases.suggestion.submitted",
            {
                "case_id": case,
                "township": TOWN,
                "title": f"关于东湖镇第{n}号村道拓宽改造的建议",
                "category": "交通出行",
                "level": "township",
                "timing": "between_sessions",
                "lead_deputy_id": deputy,
                "submitted_on": "2026-11-30",
            },
        ),
        (
            "scoring.points.recorded",
            {
                "entry_id": f"E-{n}",
                "deputy_id": deputy,
                "township": TOWN,
                "year": 2026,
                "category": "suggestion",
                "points": 3,
                "rule_id": "R-suggestion",
                "rule_set_version": 1,
                "source_event_id": str(uuid4()),
                "source_event_type": "cases.suggestion.submitted",
                "occurred_on": "2026-11-30",
            },
        ),
    ]
    if n % 2 == 0:
        made.append(
            (
                "scoring.score.changed",
                {
                    "deputy_id": deputy,
                    "township": TOWN,
                    "year": 2026,
                    "total": 3.0 * n,
                    "confirmed_total": 0.0,
                    "previous_total": 3.0 * (n - 1),
                    "rule_set_version": 1,
                },
            )
        )
    if n % 100 == 0:
        made.append(
            (
                "scoring.grade.changed",
                {
                    "deputy_id": deputy,
                    "township": TOWN,
                    "year": 2026,
                    "grade": "excellent",
                    "previous_grade": "competent",
                    "total": 136.0,
                },
            )
        )
    out = []
    for event_type, values in made:
        model = model_for(event_type)
        assert model is not None
        out.append(new_envelope(model.model_validate(values), source="/bench", correlationid="b"))
    return out


async def publish(prefix: str, rate: float, seconds: float) -> None:
    """Publish ``rate × seconds`` suggestions' events on schedule (the child process)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers(), linger_ms=2)
    await producer.start()
    try:
        start = time.time()
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + n / rate - time.time()))
            for env in envelopes(n):
                topic = prefix + topics.for_event_type(env.type)
                await producer.send(
                    topic,
                    to_bytes(env),
                    key=env.subject.encode(),
                    headers=[(k, v.encode()) for k, v in env.headers().items()],
                )
        await producer.flush()
    finally:
        await producer.stop()


def quantile(buckets: list[tuple[float, float]], q: float) -> float | None:
    """Return a quantile of a cumulative histogram, interpolated in its bucket (as PromQL does)."""
    total = buckets[-1][1]
    if not total:
        return None
    rank, low, below = q * total, 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return low
            return low + (bound - low) * (rank - below) / max(count - below, 1e-9)
        low, below = bound, count
    return low


def stage_quantiles(registry: Any) -> dict[str, dict[str, float | None]]:
    """Return p50 / p99 (ms) of notify's intake stages from the histogram."""
    found: dict[str, dict[str, float | None]] = {}
    for stage in ("taken_in", "committed"):
        buckets = []
        for metric in registry.collect():
            if metric.name != "notify_delivery_stage_seconds":
                continue
            for s in metric.samples:
                if s.name.endswith("_bucket") and s.labels["stage"] == stage:
                    buckets.append((float(s.labels["le"]), s.value))
        buckets.sort()
        found[stage] = {
            f"p{int(q * 100)}": (None if (v := quantile(buckets, q)) is None else 1000 * v)
            for q in (0.5, 0.99)
        }
    return found


def handled(registry: Any) -> tuple[float, float]:
    """Return the consumer's batches handled and their total seconds (kit's histogram)."""
    count = total = 0.0
    for metric in registry.collect():
        if metric.name == "kit_consumer_handle_seconds":
            for s in metric.samples:
                if s.name.endswith("_count"):
                    count += s.value
                elif s.name.endswith("_sum"):
                    total += s.value
    return count, total


async def _at_least(count: Callable[[], Awaitable[int]], n: int) -> bool:
    return await count() >= n


def percentiles(values: list[float]) -> dict[str, float | None]:
    """Return p50 / p99 / max of values in ms (nearest rank)."""
    if not values:
        return {"p50": None, "p99": None, "max": None}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50": rank(0.5), "p99": rank(0.99), "max": 1000 * ordered[-1]}


async def bench(rate: float, seconds: float) -> dict[str, Any]:
    """Run one intake phase; return its numbers."""
    total = int(rate * seconds)
    async with fresh_database() as url:
        prefix = unique("bench-intake") + "."
        settings = settings_for(
            url, prefix, kafka_topic_partitions=6, routes=json.dumps(ROUTES), relay_poll_seconds=1
        )
        async with running_core(settings, jobs=False) as core:
            svc = core.services
            async with svc.uow() as uow:
                store = svc.store(uow)
                await store.upsert_township(TOWN, TOWN[:6], "东湖镇")
                for n in range(DEPUTIES):
                    ref = RecipientRef(RecipientKind.deputy, f"D-{n:03d}")
                    await store.upsert_recipient(
                        ref, name=f"代表{n:02d}", township=TOWN, active=True
                    )
                staff = RecipientRef(RecipientKind.staff, "S-bench")
                await store.upsert_recipient(
                    staff, name="东湖镇人大主席团", township=TOWN, active=True
                )
                await store.hold_office(Office.township_staff, TOWN, staff)
                await store.set_contact(staff, Channel.email, "dh-office@example.cn")
                await uow.commit()
            statements = [0]

            def count(*_: Any) -> None:
                statements[0] += 1

            engine = core.runtime.engine.sync_engine
            sa_event.listen(engine, "before_cursor_execute", count)
            d = svc.tables.deliveries

            async def stored() -> int:
                async with core.runtime.engine.connect() as conn:
                    return int(await conn.scalar(select(func.count()).select_from(d)) or 0)

            # warm-up: one suggestion's events (three rows) through, so the consumer has joined
            # its group and the load starts on a consumer that keeps up, not on a backlog
            warm = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--publish", prefix, "--rate", "1", "--seconds", "1"
            )
            await warm.wait()
            await wait_until(lambda: _at_least(stored, 3), within=120, interval=0.2)
            expected = 3 + 2 * total + total // 100
            started = datetime.now(UTC)
            cpu_before, wall_before = time.process_time(), time.time()
            before = handled(core.runtime.registry)
            say(f"publishing {total} suggestions' events at {rate:.0f}/s")
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--publish",
                prefix,
                "--rate",
                str(rate),
                "--seconds",
                str(seconds),
            )
            made = 0
            deadline = time.time() + seconds + 120
            while time.time() < deadline:
                await asyncio.sleep(1)
                made = await stored()
                if made >= expected and child.returncode is not None:
                    break
            await child.wait()
            wall = time.time() - wall_before
            cpu = time.process_time() - cpu_before
            batches, busy = handled(core.runtime.registry)
            batches, busy = batches - before[0], busy - before[1]
            sa_event.remove(engine, "before_cursor_execute", count)
            async with core.runtime.engine.connect() as conn:
                lags = [
                    (r.created_at - r.event_time).total_seconds()
                    for r in await conn.execute(
                        text(
                            "SELECT created_at, event_time FROM deliveries"
                            " WHERE channel = 'email' AND event_time >= :started"
                        ),
                        {"started": started},
                    )
                ]
            stages = stage_quantiles(core.runtime.registry)
    return {
        "suggestions": total,
        "rows": made,
        "rows_expected": expected,
        "taken_in_exact_ms": percentiles(lags),
        "stage_histogram_ms": stages,
        "batches": batches,
        "batch_mean_ms": 1000 * busy / batches if batches else None,
        "statements_per_batch": statements[0] / batches if batches else None,
        "cpu_ms_per_suggestion": 1000 * cpu / total,
        "cpu_share": cpu / wall,
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    """Run the bench (or, with ``--publish``, the publisher process)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--publish", help="(the publisher process) the topic prefix")
    args = parser.parse_args()
    if args.publish:
        asyncio.run(publish(args.publish, args.rate, args.seconds))
        return
    results = asyncio.run(bench(args.rate, args.seconds))
    emit_results(results)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
