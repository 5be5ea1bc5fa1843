"""Scheduled checks: stale rosters and stations, and mandates two session absences put at risk.

Each announcement claims its (kind, key) in the kit's ``announcements_made`` in the same
transaction as its event, so it happens exactly once across restarts, instances and upgrades; the
lease only keeps instances from racing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from contracts.envelope import Envelope
from deputies import events
from deputies.adapters.rows import aware, maybe_aware
from deputies.domain.rules import AbsenceKey, mandates_to_flag, stale_period
from deputies.handlers.context import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Thresholds:
    """How many days without verification make a roster or a station stale."""

    roster_days: int
    station_days: int


async def _announce(svc: Services, kind: str, key: str, envelope: Envelope[object]) -> bool:
    """Claim the announcement and stage its event in one transaction; False if made before."""
    return await svc.announcements.announce_once(svc.uow, kind, key, envelope)


async def check_staleness(svc: Services, thresholds: Thresholds) -> int:
    """Announce every roster and station that became stale in its current period; return how many."""
    now = svc.now()
    t = svc.tables
    async with svc.uow() as uow:
        townships = (
            await uow.session.execute(
                select(
                    t.townships.c.code, t.townships.c.created_at, t.townships.c.roster_verified_at
                )
            )
        ).all()
        stations = (
            await uow.session.execute(
                select(t.stations.c.id, t.stations.c.township, t.stations.c.content_updated_at)
            )
        ).all()
    announced = 0
    for code, created_at, stored_verified_at in townships:
        verified_at = maybe_aware(stored_verified_at)
        basis = verified_at or aware(created_at)
        period = stale_period(basis, now, thresholds.roster_days)
        if period is None:
            continue
        key = f"{code}:{period.basis.isoformat()}:{period.number}"
        envelope = events.roster_stale(code, verified_at, period, thresholds.roster_days)
        announced += await _announce(svc, "roster_stale", key, envelope)
    for station_id, township, stored_updated_at in stations:
        updated_at = aware(stored_updated_at)
        period = stale_period(updated_at, now, thresholds.station_days)
        if period is None:
            continue
        key = f"{station_id}:{period.basis.isoformat()}:{period.number}"
        envelope = events.station_stale(
            station_id, township, updated_at, period, thresholds.station_days
        )
        announced += await _announce(svc, "station_stale", key, envelope)
    if announced:
        log.info("announced %d stale rosters and stations", announced)
    return announced


async def check_absences(svc: Services) -> int:
    """Flag each mandate with two unexcused congress-session absences in a term, once."""
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        sessions = await repo.session_activities()
        absent = {d for a in sessions for d in a.attendance}
        deputies = await repo.deputies(absent)
    terms = {d.id: d.term for d in deputies.values() if d.status.value != "terminated"}
    flagged = 0
    for key, session_ids in sorted(mandates_to_flag(sessions, terms).items(), key=_order):
        deputy = deputies[key.deputy_id]
        envelope = events.mandate_termination_flagged(deputy, key, session_ids)
        flagged += await _announce(
            svc, "termination_flag", f"{key.deputy_id}:{key.level.value}:{key.term}", envelope
        )
    if flagged:
        log.info("flagged %d mandates for two unexcused session absences", flagged)
    return flagged


def _order(item: tuple[AbsenceKey, list[str]]) -> tuple[str, str, int]:
    key = item[0]
    return (key.deputy_id, key.level.value, key.term)
