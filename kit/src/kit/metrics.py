"""The kit's Prometheus metrics, registered on the service's own registry."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass(frozen=True)
class KitMetrics:
    """Outbox, relay, consumer, HTTP and readiness metrics of one service."""

    outbox_backlog: Gauge
    outbox_oldest_age: Gauge
    relay_published: Counter
    relay_failures: Counter
    consumer_lag: Gauge
    consumer_processed: Counter
    dead_letters: Counter
    consumer_handle_seconds: Histogram
    http_requests: Counter
    http_request_seconds: Histogram
    ready: Gauge


def make_metrics(registry: CollectorRegistry) -> KitMetrics:
    """Create the kit's metrics on a registry (one registry per service instance or test)."""
    return KitMetrics(
        outbox_backlog=Gauge(
            "kit_outbox_backlog", "Outbox rows not yet published", ["service"], registry=registry
        ),
        outbox_oldest_age=Gauge(
            "kit_outbox_oldest_age_seconds",
            "Age of the oldest unpublished outbox row",
            ["service"],
            registry=registry,
        ),
        relay_published=Counter(
            "kit_relay_published",
            "Events the outbox relay published",
            ["service", "topic"],
            registry=registry,
        ),
        relay_failures=Counter(
            "kit_relay_failures", "Failed relay rounds", ["service"], registry=registry
        ),
        consumer_lag=Gauge(
            "kit_consumer_lag_messages",
            "Messages behind the end of the partition",
            ["service", "group", "topic", "partition"],
            registry=registry,
        ),
        consumer_processed=Counter(
            "kit_consumer_processed",
            "Consumed messages by outcome (ok, duplicate, ignored, retried, dead_lettered)",
            ["service", "group", "outcome"],
            registry=registry,
        ),
        dead_letters=Counter(
            "kit_dead_letters",
            "Messages sent to a dead-letter topic",
            ["service", "group", "topic", "reason"],
            registry=registry,
        ),
        consumer_handle_seconds=Histogram(
            "kit_consumer_handle_seconds",
            "Time to process one consumed batch",
            ["service", "group"],
            registry=registry,
        ),
        http_requests=Counter(
            "kit_http_requests",
            "HTTP requests by route and status",
            ["service", "method", "route", "status"],
            registry=registry,
        ),
        http_request_seconds=Histogram(
            "kit_http_request_seconds",
            "HTTP request duration",
            ["service", "route"],
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        ),
        ready=Gauge("kit_ready", "1 when the service is ready", ["service"], registry=registry),
    )
