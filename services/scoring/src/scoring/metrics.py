"""Domain metrics of the scoring service: points and entries recorded, parked events, replay."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge


@dataclass(frozen=True)
class ScoringMetrics:
    """What the dashboards and the parked-events alert read."""

    awarded: Counter
    entries: Counter
    not_covered: Counter
    parked: Gauge
    replay: Gauge
    publications: Counter
    contests: Counter
    exports: Counter


def make_scoring_metrics(registry: CollectorRegistry) -> ScoringMetrics:
    """Register the service's domain metrics on an explicit registry."""
    made = ScoringMetrics(
        awarded=Counter(
            "scoring_points_awarded",
            "Points awarded to deputies (positive entries), by the township that recorded the deed",
            ["township"],
            registry=registry,
        ),
        entries=Counter(
            "scoring_entries_recorded",
            "Ledger entries recorded (awards, deductions, reversals), by rule category",
            ["category"],
            registry=registry,
        ),
        not_covered=Counter(
            "scoring_events_not_covered",
            "Events read that gave no ledger entry, by event type",
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
            "Share of a county's facts read by the running re-derivation (1 when done)",
            registry=registry,
        ),
        publications=Counter(
            "scoring_publications",
            "Township periods published (亮分), and requests refused: under_review, already",
            ["outcome"],
            registry=registry,
        ),
        contests=Counter(
            "scoring_contests",
            "Contests (错重漏) opened, refused as late, and resolved by outcome",
            ["outcome"],
            registry=registry,
        ),
        exports=Counter(
            "scoring_dossier_exports",
            "履职档案 exports, by format",
            ["format"],
            registry=registry,
        ),
    )
    made.replay.set(1)
    return made
