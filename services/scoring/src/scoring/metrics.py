"""Domain metrics of the scoring service: points recorded, events parked or not covered, replay."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge


@dataclass(frozen=True)
class ScoringMetrics:
    """What the dashboards and the parked-events alert read."""

    points: Counter
    not_covered: Counter
    parked: Gauge
    replay: Gauge


def make_scoring_metrics(registry: CollectorRegistry) -> ScoringMetrics:
    """Register the service's domain metrics on an explicit registry."""
    return ScoringMetrics(
        points=Counter(
            "scoring_points_recorded",
            "Ledger entries recorded, by rule category",
            ["category"],
            registry=registry,
        ),
        not_covered=Counter(
            "scoring_events_not_covered",
            "Events read that the rules gave no entry for, by event type",
            ["event_type"],
            registry=registry,
        ),
        parked=Gauge(
            "scoring_parked_events",
            "Events kept until the deputy or township they name is on the roster",
            registry=registry,
        ),
        replay=Gauge(
            "scoring_replay_progress_ratio",
            "Share of a county's facts replayed by the running re-derivation (1 when idle)",
            registry=registry,
        ),
    )
