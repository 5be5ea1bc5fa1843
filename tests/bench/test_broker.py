"""Which topics ``python -m bench.broker --prune`` deletes: runs' own, never Kafka's or the platform's."""

from __future__ import annotations

import pytest

from bench.broker import leftover
from contracts import topics


@pytest.mark.parametrize(
    "name", [*topics.ALL, "__consumer_offsets", topics.dead_letter(topics.CASES, "scoring.ledger")]
)
def test_kafka_and_platform_topics_stay(name: str) -> None:
    assert not leftover(name)


@pytest.mark.parametrize(
    "name",
    [f"e2e-county1a2b3c4d5e.{topics.CASES}", f"t0123456789.{topics.SCORING}", "bench-replayabc.x"],
)
def test_prefixed_topics_go(name: str) -> None:
    assert leftover(name)
