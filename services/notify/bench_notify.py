"""Bench of the notify service on real Kafka, PostgreSQL and a local SMTP server (aiosmtpd).

1. Throughput: N ``cases.case.assigned`` events (default 10,000) published at once → N e-mails
   received, none twice; mails/s against raw aiosmtplib sending the same N messages (rendered and
   built as notify does) over one connection to the same server (issue 11 targets: >= 0.5 of raw and >= 500 mails/s).
2. Latency: events published at R per second (default 50) for S seconds → event published to
   message received, p50 / p99.
3. Resident memory of the process (notify and the SMTP server share it: an upper bound).

The bench routes ``cases.case.assigned`` to the lead unit *now* (``ROUTES`` override): the default
sends it in working hours, which would make the numbers depend on the clock.

Run: ``.venv/bin/python services/notify/bench_notify.py [--events 10000] [--rate 50]
[--seconds 10]`` with ``TEST_DATABASE_URL`` and ``KAFKA_BOOTSTRAP_SERVERS``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from uuid import uuid4

import aiosmtplib
from aiokafka import AIOKafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))

from notify_harness import running_core, settings_for

from contracts import topics
from contracts.catalog import model_for, new_envelope, to_bytes
from contracts.envelope import Envelope
from contracts.vocabulary import RecipientKind
from kit.testing import bootstrap_servers, fresh_database, unique
from notify.adapters.base import Outgoing
from notify.adapters.email import SmtpSettings, build_message
from notify.domain.model import Channel, DeliveryKey, RecipientRef
from notify.templates.render import Renderer, context
from notify.templates.samples import TYPICAL
from notify.testing.servers import MailSink, smtp_server

UNIT = RecipientRef(RecipientKind.handling_unit, "U-bench")
ROUTES = {
    "cases.case.assigned": [
        {
            "audience": "units",
            "template": "cases.case.assigned",
            "timing": "now",
            "field": "units",
            "role": "lead",
        }
    ]
}


def assigned(n: int) -> Envelope[Any]:
    """Return the n-th case-assigned event, led by the bench unit."""
    model = model_for("cases.case.assigned")
    assert model is not None
    values = {
        **TYPICAL["cases.case.assigned"],
        "case_id": f"C-2025-{n:06d}",
        "units": [{"unit_id": UNIT.id, "name": "县交通运输局", "role": "lead"}],
    }
    return new_envelope(model.model_validate(values), source="/services/cases", correlationid="b")


def rss_mb() -> float:
    """Return the process's resident memory in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def raw_rate(port: int, n: int) -> float:
    """Send the same n messages notify sends (rendered, built alike) with raw aiosmtplib."""
    data = assigned(0).data
    model = model_for("cases.case.assigned")
    assert model is not None
    event = model.model_validate(data)
    ctx = context(event, event_type="cases.case.assigned", recipient_name="县交通运输局")
    rendered = Renderer().render("cases.case.assigned", Channel.email, ctx)
    settings = SmtpSettings(port=port)
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
    await client.connect()
    start = time.perf_counter()
    for _ in range(n):
        outgoing = Outgoing(str(uuid4()), "bench@example.cn", rendered)
        await client.send_message(build_message(settings, outgoing))
    elapsed = time.perf_counter() - start
    client.close()
    return n / elapsed


async def publish_all(producer: AIOKafkaProducer, prefix: str, events: list[Envelope[Any]]) -> None:
    """Publish events to the cases topic without waiting for each."""
    topic = prefix + topics.CASES
    futures = [
        await producer.send(
            topic,
            to_bytes(e),
            key=e.subject.encode(),
            headers=[(k, v.encode()) for k, v in e.headers().items()],
        )
        for e in events
    ]
    await asyncio.gather(*futures)


async def until(sink: MailSink, n: int, within: float) -> None:
    """Wait until the sink holds n messages."""
    deadline = time.monotonic() + within
    while len(sink.received()) < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(sink.received())} of {n} mails after {within} s")
        await asyncio.sleep(0.05)


async def bench(events: int, rate: int, seconds: int) -> dict[str, Any]:
    """Run the three measurements; return the numbers."""
    report: dict[str, Any] = {"events": events}
    with smtp_server() as (sink, port):
        report["raw_mails_per_s"] = round(await raw_rate(port, events), 1)
        sink.messages.clear()
        sink.arrived.clear()
        async with fresh_database() as url:
            prefix = unique("bench") + "."
            settings = settings_for(
                url,
                prefix,
                smtp_port=port,
                routes=json.dumps(ROUTES),
                sender_batch=500,
                consumer_max_records=500,
                job_lease_seconds=120.0,
            )
            async with running_core(settings, jobs=True) as core:
                async with core.services.uow() as uow:
                    store = core.services.store(uow)
                    await store.upsert_recipient(
                        UNIT, name="县交通运输局", township="330102001", active=True
                    )
                    await store.set_contact(UNIT, Channel.email, "bench@example.cn")
                    await uow.commit()
                producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers(), linger_ms=5)
                await producer.start()
                try:
                    batch = [assigned(n) for n in range(events)]
                    start = time.perf_counter()
                    await publish_all(producer, prefix, batch)
                    await until(sink, events, within=max(600.0, events / 10))
                    elapsed = time.perf_counter() - start
                    ids = {m["X-Notify-Delivery"] for m in sink.received()}
                    report["notify_mails_per_s"] = round(events / elapsed, 1)
                    report["ratio_to_raw"] = round(
                        report["notify_mails_per_s"] / report["raw_mails_per_s"], 3
                    )
                    report["distinct_mails"] = len(ids)
                    report["repeats"] = len(sink.received()) - len(ids)
                    sink.messages.clear()
                    sink.arrived.clear()
                    paced = [assigned(events + n) for n in range(rate * seconds)]
                    published: dict[str, float] = {}
                    for i in range(0, len(paced), rate):
                        tick = time.perf_counter()
                        for e in paced[i : i + rate]:
                            key = DeliveryKey(e.id, UNIT, Channel.email).delivery_id()
                            published[key] = time.time()
                        await publish_all(producer, prefix, paced[i : i + rate])
                        await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - tick)))
                    await until(sink, len(paced), within=120)
                    latencies = sorted(
                        at - published[m["X-Notify-Delivery"]]
                        for m, at in zip(sink.received(), sink.arrived, strict=True)
                    )
                    quantiles = statistics.quantiles(latencies, n=100)
                    report["latency_p50_ms"] = round(quantiles[49] * 1000, 1)
                    report["latency_p99_ms"] = round(quantiles[98] * 1000, 1)
                    report["rss_mb"] = round(rss_mb(), 1)
                finally:
                    await producer.stop()
    return report


def main() -> None:
    """Parse arguments, run, print one JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(bench(args.events, args.rate, args.seconds))))


if __name__ == "__main__":
    main()
