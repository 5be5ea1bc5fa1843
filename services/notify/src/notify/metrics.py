"""Domain metrics of the notify service: deliveries by channel and result, the backlog."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from contracts.vocabulary import Channel

RESULTS = ("sent", "retrying", "failed")
"""The outcomes of an attempt that ``notify_notifications_total`` counts."""
STAGES = ("taken_in", "committed", "claimed", "accepted")
"""The stages of ``notify_delivery_stage_seconds`` (see its help)."""


@dataclass(frozen=True)
class NotifyMetrics:
    """What the dashboards and the notify alerts read."""

    deliveries: Counter
    pending: Gauge
    oldest_pending: Gauge
    latency: Histogram
    held: Gauge
    imported: Counter
    connections: Counter
    claims_lost: Counter
    stages: Histogram
    listen_lost: Counter
    directory_reads: Counter
    contacts_superseded: Counter


def make_notify_metrics(registry: CollectorRegistry) -> NotifyMetrics:
    """Register the service's domain metrics on an explicit registry."""
    made = NotifyMetrics(
        deliveries=Counter(
            "notify_notifications",
            "Delivery attempts by channel and result (sent, retrying, failed)",
            ["channel", "result"],
            registry=registry,
        ),
        pending=Gauge(
            "notify_pending_deliveries",
            "Deliveries due and not yet sent (pending, retrying or being sent)",
            registry=registry,
        ),
        oldest_pending=Gauge(
            "notify_oldest_pending_seconds",
            "Age of the oldest delivery due and not yet sent, in seconds",
            registry=registry,
        ),
        latency=Histogram(
            "notify_event_to_sent_seconds",
            "From the event's time to the channel accepting its message",
            ["channel"],
            buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600, 14400, 86400),
            registry=registry,
        ),
        held=Gauge(
            "notify_held_deliveries",
            "SMS and robot messages held until quiet hours end (not yet due)",
            registry=registry,
        ),
        imported=Counter(
            "notify_directory_import_rows",
            "Rows of directory imports by kind and result (written, rejected)",
            ["kind", "result"],
            registry=registry,
        ),
        connections=Counter(
            "notify_channel_connections",
            "Kept-open channel connections (SMTP) opened, failed to open, or dropped after an error",
            ["channel", "event"],
            registry=registry,
        ),
        claims_lost=Counter(
            "notify_claims_lost",
            "Outcomes not recorded because another sender had retaken the delivery (its claim ran"
            " out): the message may go twice",
            ["channel"],
            registry=registry,
        ),
        stages=Histogram(
            "notify_delivery_stage_seconds",
            "Where a delivery's time goes: event time → taken in (upstream relay, Kafka, the"
            " consumer's fetch), taken in → committed (the intake's transaction, a batch),"
            " taken in → claimed by a sender, claimed → accepted by the channel",
            ["stage"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=registry,
        ),
        listen_lost=Counter(
            "notify_sender_listen_lost",
            "A sender process's connection listening for the intake's commits was lost (it polls"
            " until the connection is open again)",
            registry=registry,
        ),
        directory_reads=Counter(
            "notify_directory_reads",
            "Times the intake read the directory, preferences and township names instead of its"
            " kept copy (a write moved directory_version, the copy aged out, or it was never kept)",
            registry=registry,
        ),
        contacts_superseded=Counter(
            "notify_contacts_superseded",
            "Addresses the roster changed at their source (a deputy's phone): not used until the"
            " directory has the new one (GET /directory/deputies?superseded=true lists them)",
            ["channel"],
            registry=registry,
        ),
    )
    # Every channel's series exist from the start at 0: a panel shows 0, not "no data", and the
    # first failure moves `increase()` (a series born at 1 would not).
    made.contacts_superseded.labels(channel=Channel.sms.value)
    for channel in Channel:
        for result in RESULTS:
            made.deliveries.labels(channel=channel.value, result=result)
        made.latency.labels(channel=channel.value)
        made.claims_lost.labels(channel=channel.value)
    for stage in STAGES:
        made.stages.labels(stage=stage)
    return made
