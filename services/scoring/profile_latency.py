"""Where an event's time goes at a steady rate: the real runner in-process, each batch timed.

Run: ``PYTHONPATH=. uv run --frozen python services/scoring/profile_latency.py [--rate 100]
[--seconds 15] [--no-relay] [--linger 0.05]`` (KAFKA_BOOTSTRAP_SERVERS, TEST_DATABASE_URL set). A fresh database
and topics; the roster (a township, 20 deputies) first; then suggestions filed by those deputies
at ``rate`` per second, as the end-to-end bench offers them. The consumer runs as the service
runs it (the kit's runner, the outbox relay in the same process unless ``--no-relay``), with
every step of a batch timed by wrapping it: the parse of the fetched records, the inbox claim,
``apply_events``, the commit, the offset commit (``ack``), and the relay's rounds. Prints the
latency published → committed (the entry visible) and its split: published → fetched (the
fetch, and waiting for the batch before), fetched → committed.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select

from contracts import topics
from kit import relay as kit_relay, runner as kit_runner
from kit.inbox import Inbox
from kit.testing import fresh_database, unique
from kit.uow import UnitOfWork
from scoring.handlers import consume
from scoring.testing import events as ev
from scoring.testing.harness import envelope, produce, running_core, settings_for

TOWN = "990101001"
DEPUTIES = [f"lat-{n}" for n in range(20)]

spent: dict[str, list[float]] = defaultdict(list)
fetched: dict[str, float] = {}
committed: dict[str, float] = {}


def _timed(owner: Any, name: str, label: str) -> Callable[[], None]:
    """Wrap an async method so each call's wall time is kept under ``label``; return the undo."""
    original = getattr(owner, name)

    async def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            spent[label].append(time.perf_counter() - t0)

    setattr(owner, name, timed)
    return lambda: setattr(owner, name, original)


def _instrument() -> list[Callable[[], None]]:
    """Time the steps of a batch; stamp each event when fetched and when committed."""
    runner = kit_runner.ConsumerRunner
    undo = [
        _timed(runner, "_consume", "batch (handler and ack)"),
        _timed(runner, "_apply_all", "apply the batch (its runs)"),
        _timed(runner, "_apply", "inbox, apply_events, commit"),
        _timed(Inbox, "claim", "inbox claim"),
        _timed(consume, "apply_events", "apply_events"),
        _timed(UnitOfWork, "commit", "commit (the write and COMMIT)"),
        _timed(kit_runner.BatchMessage, "ack", "offset commit (ack)"),
        _timed(kit_relay.OutboxRelay, "publish_once", "relay round"),
    ]
    consume_timed = runner._consume

    async def stamped(self: Any, message: Any) -> None:
        t0 = time.perf_counter()
        ids = [dict(r.headers).get("ce_id", b"").decode() for r in message.raw_message]
        for i in ids:
            fetched.setdefault(i, t0)
        spent["batch size"].append(len(ids))
        await consume_timed(self, message)

    apply_timed = runner._apply

    async def applied(self: Any, items: Any) -> None:
        await apply_timed(self, items)
        t1 = time.perf_counter()
        for item in items:
            committed.setdefault(item.event_id, t1)

    runner._consume = stamped  # type: ignore[method-assign]
    runner._apply = applied  # type: ignore[method-assign]
    undo.append(lambda: setattr(runner, "_consume", consume_timed))
    undo.append(lambda: setattr(runner, "_apply", apply_timed))
    return undo


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


async def _until(check: Callable[[], Awaitable[bool]], within: float) -> None:
    end = time.perf_counter() + within
    while not await check():
        if time.perf_counter() > end:
            raise TimeoutError("not caught up")
        await asyncio.sleep(0.05)


async def main(rate: float, seconds: float, relay: bool, linger: float = 0.0) -> None:
    """Offer suggestions at ``rate`` for ``seconds``; print the latency and its split."""
    async with fresh_database() as url:
        settings = settings_for(url, unique("lat") + ".", relay_linger_seconds=linger)
        undo = _instrument()
        try:
            async with running_core(settings, relay=relay, consumers=True) as core:
                svc = core.services
                roster = [envelope(ev.township(TOWN))]
                roster += [envelope(ev.deputy(d, TOWN)) for d in DEPUTIES]
                await produce(settings, roster)

                async def known() -> bool:
                    async with svc.uow() as uow:
                        t = svc.tables.deputies
                        n = await uow.session.scalar(select(func.count()).select_from(t))
                        return int(n or 0) == len(DEPUTIES)

                await _until(known, 120)
                warm = envelope(ev.suggestion("warm", TOWN, DEPUTIES[0], on=date(2026, 6, 1)))
                await produce(settings, [warm])
                await _until(lambda: _is(str(warm.id)), 120)
                for values in spent.values():
                    values.clear()
                sent: dict[str, float] = {}
                topic = settings.kafka_topic_prefix + topics.CASES
                producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
                await producer.start()
                try:
                    start = time.perf_counter()
                    for n in range(int(rate * seconds)):
                        due = start + n / rate
                        await asyncio.sleep(max(0.0, due - time.perf_counter()))
                        lead = DEPUTIES[n % len(DEPUTIES)]
                        e = envelope(ev.suggestion(f"c{n}", TOWN, lead, on=date(2026, 6, 1)))
                        sent[str(e.id)] = time.perf_counter()
                        await producer.send(
                            topic,
                            e.model_dump_json().encode(),
                            key=e.subject.encode(),
                            headers=[(k, v.encode()) for k, v in e.headers().items()],
                        )
                    await producer.flush()
                finally:
                    await producer.stop()

                async def done() -> bool:
                    return all(i in committed for i in sent)

                await _until(done, 120)
        finally:
            for u in undo:
                u()
    total = [committed[i] - t for i, t in sent.items()]
    waited = [fetched[i] - t for i, t in sent.items()]
    inside = [committed[i] - fetched[i] for i in sent]
    where = f"in process, linger {linger * 1000:.0f} ms" if relay else "off"
    print(f"{len(sent)} suggestions at {rate:.0f}/s, relay {where}")
    for name, values in (
        ("published -> committed", total),
        ("  published -> fetched", waited),
        ("  fetched -> committed", inside),
    ):
        print(
            f"{name:28} p50 {_pct(values, 0.5) * 1000:6.1f}  p95 {_pct(values, 0.95) * 1000:6.1f}"
            f"  p99 {_pct(values, 0.99) * 1000:6.1f} ms"
        )
    for name, values in spent.items():
        scale = 1 if name == "batch size" else 1000
        print(
            f"{name:32} n {len(values):5}  p50 {_pct(values, 0.5) * scale:6.1f}"
            f"  p99 {_pct(values, 0.99) * scale:6.1f}  sum {sum(values) * scale:8.0f}"
        )


async def _is(event_id: str) -> bool:
    return event_id in committed


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rate", type=float, default=100.0)
    p.add_argument("--seconds", type=float, default=15.0)
    p.add_argument("--no-relay", action="store_true")
    p.add_argument("--linger", type=float, default=0.0, help="the relay's linger (s)")
    a = p.parse_args()
    asyncio.run(main(a.rate, a.seconds, not a.no_relay, a.linger))
