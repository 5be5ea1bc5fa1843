"""The benchmark's events: envelope-shaped, about 450 bytes, keys spread over many aggregates."""

from __future__ import annotations

from typing import Any

from contracts.envelope import Envelope


def envelope(i: int) -> Envelope[dict[str, Any]]:
    """Return the i-th benchmark event (a deputy registration-like payload)."""
    return Envelope[dict[str, Any]](
        type="deputies.township.registered",
        source="/services/bench",
        subject=f"aggregate-{i % 997}",
        dataschema="urn:npc-platform:event:deputies.township.registered:v1",
        township="990101001",
        correlationid=f"bench-{i}",
        data={"seq": i, "name": "东湖镇", "note": "基准测试负载" * 6},
    )
