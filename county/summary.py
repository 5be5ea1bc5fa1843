"""Waiting for the consumers to catch up, and the county's summary as the APIs and topics show it.

Caught up means: every service's outbox is empty (``kit_outbox_backlog``), every consumer group's
lag is 0 (``kit_consumer_lag_messages``), notify has nothing due (``notify_pending_deliveries``)
and the consumers' processed counters stood still between two reads a second apart.
Notifications are counted from ``notify.events`` (sent and failed, by channel) as any outside
subscriber would read them.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from contracts import topics
from county.api import SERVICES, Platform
from county.people import COUNTY, COUNTY_NAME, PLACES, admin
from kit.broker import topic_partitions

GRADES = {"excellent": "优秀", "competent": "称职", "not_competent": "不称职"}
ASSESSMENT = {"excellent": "优秀", "qualified": "合格", "criticised": "通报"}


@dataclass(frozen=True)
class Pipeline:
    """What the metrics say is still in flight."""

    backlog: float
    lag: float
    pending: float
    processed: float

    @property
    def idle(self) -> bool:
        """Tell whether nothing is waiting anywhere."""
        return self.backlog == 0 and self.lag == 0 and self.pending == 0


async def pipeline(platform: Platform) -> Pipeline:
    """Read the outbox backlog, consumer lag, notify's due deliveries and processed counts."""
    backlog = lag = pending = processed = 0.0
    for service in SERVICES:
        response = await platform.call(service, "GET", "/metrics", "")
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                if sample.name == "kit_outbox_backlog":
                    backlog += sample.value
                elif sample.name == "kit_consumer_lag_messages":
                    lag += sample.value
                elif sample.name == "notify_pending_deliveries":
                    pending += sample.value
                elif sample.name == "kit_consumer_processed_total":
                    processed += sample.value
    return Pipeline(backlog, lag, pending, processed)


async def caught_up(
    platform: Platform, tell: Callable[[str], None], *, within: float = 600, quiet: float = 6
) -> Pipeline:
    """Wait until nothing is in flight and the consumers have processed nothing for ``quiet`` s."""
    deadline = time.monotonic() + within
    last: Pipeline | None = None
    still_since = time.monotonic()
    said = 0.0
    while True:
        now = await pipeline(platform)
        if last is None or now.processed != last.processed or not now.idle:
            still_since = time.monotonic()
        if now.idle and time.monotonic() - still_since >= quiet:
            return now
        if time.monotonic() > deadline:
            raise TimeoutError(f"the consumers did not catch up: {now}")
        if time.monotonic() - said > 5:
            tell(
                f"waiting for the consumers: outbox {now.backlog:.0f}, lag {now.lag:.0f}, "
                f"deliveries due {now.pending:.0f}, events processed {now.processed:.0f}"
            )
            said = time.monotonic()
        last = now
        await asyncio.sleep(1)


async def notifications(bootstrap: str, prefix: str) -> Counter[tuple[str, str]]:
    """Count notify.events (sent / failed) by channel, reading the topic from its start to its end."""
    topic = prefix + topics.NOTIFY
    counts: Counter[tuple[str, str]] = Counter()
    partitions = await topic_partitions(bootstrap, topic, wait=2)
    if not partitions:
        return counts
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        assigned = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        left = {tp for tp, end in ends.items() if end > 0}
        while left:
            batches = await consumer.getmany(*left, timeout_ms=500, max_records=5000)
            for tp, records in batches.items():
                for record in records:
                    if record.value is None or record.offset >= ends[tp]:
                        continue
                    envelope = json.loads(record.value)
                    outcome = str(envelope.get("type", "")).rsplit(".", 1)[-1]
                    counts[(str(envelope.get("data", {}).get("channel")), outcome)] += 1
            left = {tp for tp in left if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()
    return counts


async def summary(platform: Platform, year: int) -> list[str]:
    """Return the county's summary lines: leaderboard, overdue cases, notifications, assessment."""
    token = admin(platform)
    lines: list[str] = [f"{COUNTY_NAME} ({COUNTY}), {year}"]
    names = {p.code: p.name for p in PLACES}
    board: Any = await platform.get(
        "scoring", "/api/v1/leaderboard", token, {"scope": COUNTY, "year": year}
    )
    rows = board.get("items", board) if isinstance(board, dict) else board
    grades = Counter(str(r.get("grade")) for r in rows)
    lines.append(
        f"Leaderboard: {len(rows)} deputies; grades "
        + ", ".join(f"{GRADES.get(g, g)} {n}" for g, n in sorted(grades.items()))
    )
    for row in rows[:10]:  # the leaderboard names its deputies (scoring reads the roster events)
        lines.append(
            f"  {row.get('rank'):>2}. {row.get('name') or row.get('deputy_id')}  "
            f"{names.get(str(row.get('township')), row.get('township'))}  "
            f"{row.get('total')}  {GRADES.get(str(row.get('grade')), row.get('grade'))}"
        )
    overdue = await platform.pages("cases", "/api/v1/cases", token, {"overdue": "true"})
    by_township = Counter(str(c["township"]) for c in overdue)
    lines.append(f"Overdue cases: {len(overdue)}")
    for place in PLACES:
        lines.append(f"  {place.name}  {by_township.get(place.code, 0)}")
    counts = await notifications(
        os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        os.environ.get("KAFKA_TOPIC_PREFIX", ""),
    )
    lines.append(f"Notifications (notify.events): {sum(counts.values())}")
    for (channel, outcome), n in sorted(counts.items()):
        lines.append(f"  {channel:<8} {outcome:<7} {n}")
    assessed: Any = await platform.get(
        "scoring", "/api/v1/assessments", token, {"scope": COUNTY, "year": year}
    )
    items = assessed.get("items", assessed) if isinstance(assessed, dict) else assessed
    lines.append("Township assessment:")
    for row in items:
        lines.append(
            f"  {row.get('rank', '')}. {names.get(str(row.get('township')), row.get('township'))}  "
            f"{row.get('total')}  {ASSESSMENT.get(str(row.get('grade')), row.get('grade'))}"
        )
    return lines
