"""Planned activities as contract events (the held activity is ``events.activity_logged``)."""

from __future__ import annotations

from typing import Any

from contracts import deputies as ev, vocabulary as vocab
from contracts.envelope import Envelope
from deputies.domain.model import Level
from deputies.domain.plans import PlannedActivity
from deputies.events import envelope
from deputies.handlers.context import Caller


def _levels(levels: frozenset[Level]) -> frozenset[vocab.Level]:
    return frozenset(vocab.Level(level.value) for level in levels)


def _common(plan: PlannedActivity) -> dict[str, Any]:
    return {
        "activity_id": plan.id,
        "township": plan.township,
        "activity_type": vocab.ActivityType(plan.type.value),
        "title": plan.title,
        "starts_at": plan.starts_at,
        "station_id": plan.place.station_id,
        "venue": plan.place.address,
        "invited_deputy_ids": tuple(sorted(plan.expected)),
        "aggregate_version": plan.version,
    }


def scheduled(plan: PlannedActivity, caller: Caller) -> Envelope[Any]:
    """An activity was planned; its deputies are invited."""
    data = ev.ActivityScheduled(**_common(plan), levels=_levels(plan.levels), ends_at=plan.ends_at)
    return envelope(data, correlation_id=caller.correlation_id)


def rescheduled(
    plan: PlannedActivity, before: PlannedActivity, reason: str, caller: Caller
) -> Envelope[Any]:
    """A plan moved in time or place."""
    data = ev.ActivityRescheduled(
        **_common(plan),
        levels=_levels(plan.levels),
        ends_at=plan.ends_at,
        previous_starts_at=before.starts_at,
        reason=reason,
    )
    return envelope(data, correlation_id=caller.correlation_id)


def plan_cancelled(plan: PlannedActivity, reason: str, caller: Caller) -> Envelope[Any]:
    """A plan was called off before it was held."""
    data = ev.ActivityPlanCancelled(**_common(plan), reason=reason)
    return envelope(data, correlation_id=caller.correlation_id)
