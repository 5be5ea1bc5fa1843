"""The backlogs the suite's consumers chew through, and what "nothing lost or doubled" means for each.

A backlog is a list of envelopes put on the topics before (or while) the service consumes, and a
check run on the service's database once the group has caught up: it fails on any lost or doubled
effect and returns the counts it saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from reliability_harness import Platform

from contracts.catalog import model_for, new_envelope
from contracts.envelope import Envelope
from notify.templates.samples import TYPICAL
from scoring.testing.history import mixed_history

TOWNSHIP = "990101001"


class Backlog(Protocol):
    """Events for one consuming service and the check of its effects."""

    service: str
    events: list[Envelope[Any]]

    async def prepare(self, platform: Platform) -> None:
        """Put in the service's database what the events need (after its migrations ran)."""
        ...

    async def check(self, platform: Platform) -> dict[str, int]:
        """Assert that every event had its effect once; return the counts."""
        ...


@dataclass
class ScoringBacklog:
    """A generated year of a county (roster, activities, cases, parking, redeliveries)."""

    size: int
    seed: int = 404
    service: str = "scoring"

    def __post_init__(self) -> None:
        history = mixed_history(self.seed, self.size, towns=4, deputies=12)
        self.events = history.events
        self.distinct = history.distinct

    async def prepare(self, platform: Platform) -> None:
        """Nothing: scoring adopts the county's year from the events."""

    async def check(self, platform: Platform) -> dict[str, int]:
        """Every distinct event a fact once, nothing parked, every entry once with its one event."""
        facts = await platform.scalar("scoring", "SELECT count(*) FROM facts")
        parked = await platform.scalar("scoring", "SELECT count(*) FROM parked")
        entries = await platform.scalar("scoring", "SELECT count(*) FROM entries")
        distinct = await platform.scalar("scoring", "SELECT count(DISTINCT entry_id) FROM entries")
        recorded = await platform.scalar(
            "scoring",
            "SELECT count(*) FROM outbox WHERE event_type = 'scoring.points.recorded'",
        )
        assert facts == self.distinct, (facts, self.distinct)  # none lost, none twice
        assert parked == 0
        assert entries == distinct > 0  # no entry doubled
        assert recorded == entries  # one points.recorded per entry
        return {"events": len(self.events), "facts": facts, "entries": entries}


@dataclass
class NotifyBacklog:
    """Replies to cases, each naming one of a few dozen deputies who have an e-mail address."""

    size: int
    deputies: int = 24
    service: str = "notify"

    def __post_init__(self) -> None:
        model = model_for("cases.case.replied")
        assert model is not None
        self.events = [
            new_envelope(
                model.model_validate(
                    {
                        **TYPICAL["cases.case.replied"],
                        "case_id": f"C-2026-{n:06d}",
                        "township": TOWNSHIP,
                        "deputy_ids": [self.deputy(n)],
                    }
                ),
                source="/services/cases",
                correlationid="reliability",
            )
            for n in range(self.size)
        ]

    def deputy(self, n: int) -> str:
        """The deputy the n-th reply names."""
        return f"D-rel-{n % self.deputies:03d}"

    async def prepare(self, platform: Platform) -> None:
        """Put the deputies and their e-mail addresses in notify's directory."""
        for n in range(self.deputies):
            deputy = self.deputy(n)
            await platform.execute(
                "notify",
                "INSERT INTO recipients (kind, recipient_id, name, township, active, version) "
                "VALUES ('deputy', :id, :name, :township, true, 1)",
                id=deputy,
                name=f"代表{n}",
                township=TOWNSHIP,
            )
            await platform.execute(
                "notify",
                "INSERT INTO contacts (kind, recipient_id, channel, address) "
                "VALUES ('deputy', :id, 'email', :address)",
                id=deputy,
                address=f"{deputy.lower()}@example.cn",
            )

    async def check(self, platform: Platform) -> dict[str, int]:
        """Every reply has its deliveries, the same number each, none doubled."""
        rows = await platform.scalar("notify", "SELECT count(*) FROM deliveries")
        keys = await platform.scalar(
            "notify",
            "SELECT count(*) FROM (SELECT DISTINCT event_id, recipient_kind, recipient_id, "
            "channel FROM deliveries) AS k",
        )
        events = await platform.scalar("notify", "SELECT count(DISTINCT event_id) FROM deliveries")
        least = await platform.scalar(
            "notify",
            "SELECT min(n) FROM (SELECT count(*) AS n FROM deliveries GROUP BY event_id) AS e",
        )
        most = await platform.scalar(
            "notify",
            "SELECT max(n) FROM (SELECT count(*) AS n FROM deliveries GROUP BY event_id) AS e",
        )
        assert events == len(self.events), (events, len(self.events))  # none lost
        assert rows == keys  # none doubled
        assert least == most >= 1  # every reply the same deliveries
        return {"events": len(self.events), "deliveries": rows}
