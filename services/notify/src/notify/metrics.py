"""Domain metrics of the notify service: deliveries by channel and result, the backlog."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass(frozen=True)
class NotifyMetrics:
    """What the dashboards and the notify alerts read."""

    deliveries: Counter
    pending: Gauge
    oldest_pending: Gauge
    latency: Histogram
    held: Gauge
    imported: Counter


def make_notify_metrics(registry: CollectorRegistry) -> NotifyMetrics:
    """Register the service's domain metrics on an explicit registry."""
    return NotifyMetrics(
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
    )
