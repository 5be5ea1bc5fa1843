"""Scheduled checks: stale rosters and stations, and mandates two session absences put at risk.

Each announcement claims its (kind, key) in the kit's ``announcements_made`` in the same
transaction as its event, so it happens exactly once across restarts, instances and upgrades; the
lease only keeps instances from racing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from contracts.envelope import Envelope
from deputies import events
from deputies.adapters.rows import aware, maybe_aware
from deputies.domain.errors import DomainError
from deputies.domain.model import DeputyStatus
from deputies.domain.rules import (
    ABSENCES_ENDING_MANDATE,
    AbsenceKey,
    Flag,
    mandates_to_flag,
    session_absences,
    stale_period,
)
from deputies.handlers.context import Caller, Services
from deputies.handlers.deputies import apply_due_change
from kit import clock
from kit.principal import Principal

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
    """Flag each mandate with two unexcused absences from its congress's sessions, once; withdraw
    a standing flag whose sessions were cancelled or whose marks were corrected. Return the
    number of flags raised and withdrawn.
    """
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        sessions = await repo.session_activities()
        standing = await repo.standing_flags()
        absent = {d for a in sessions for d in a.attendance} | {k.deputy_id for k in standing}
        deputies = await repo.deputies(absent)
    running = {i: d for i, d in deputies.items() if d.status is not DeputyStatus.terminated}
    counted = session_absences(sessions, running)
    flagged = 0
    for key, session_ids in sorted(mandates_to_flag(sessions, running).items(), key=_order):
        if key in standing:
            continue
        envelope = events.mandate_termination_flagged(deputies[key.deputy_id], key, session_ids)
        flagged += await _flag(svc, key, session_ids, envelope)
    for key, flag in sorted(standing.items(), key=lambda item: _order((item[0], []))):
        remaining = counted.get(key, [])
        deputy = running.get(key.deputy_id)
        if deputy is None or key.level not in deputy.levels or deputy.term != key.term:
            continue  # the mandate ended (maybe for these absences): the flag stays on record
        if len(remaining) >= ABSENCES_ENDING_MANDATE:
            continue
        envelope = events.mandate_termination_flag_withdrawn(deputy, key, flag, remaining)
        flagged += await _withdraw(svc, key, flag, envelope)
    if flagged:
        log.info("raised or withdrew %d termination flags", flagged)
    return flagged


async def _flag(
    svc: Services, key: AbsenceKey, session_ids: list[str], envelope: Envelope[object]
) -> bool:
    try:
        async with svc.uow() as uow:
            if not await svc.repository(uow).raise_flag(key, str(envelope.id), session_ids):
                return False
            uow.stage(envelope)
            await uow.commit()
    except IntegrityError:
        return False  # another instance raised it first
    return True


async def _withdraw(svc: Services, key: AbsenceKey, flag: Flag, envelope: Envelope[object]) -> bool:
    async with svc.uow() as uow:
        if not await svc.repository(uow).withdraw_flag(key, flag.event_id):
            return False  # another instance withdrew it first
        uow.stage(envelope)
        await uow.commit()
    return True


async def apply_status_changes(svc: Services) -> int:
    """Apply each scheduled status change whose day (in China) has come, once, with its event."""
    today = clock.today(svc.clock())
    async with svc.uow() as uow:
        due = await svc.repository(uow).due_changes(today)
    applied = 0
    for change in due:
        job = Principal(subject="job:status_changes", roles=frozenset(), scope="00")
        caller = Caller(viewer=job, principal=job, correlation_id=f"job:status:{change.seq}")
        try:
            applied += await apply_due_change(svc, change, caller)
        except DomainError as error:  # the mandate moved meanwhile: leave it for a person
            log.warning("scheduled status change %s cannot apply: %s", change.seq, error)
    return applied


def _order(item: tuple[AbsenceKey, list[str]]) -> tuple[str, str, int]:
    key = item[0]
    return (key.deputy_id, key.level.value, key.term)
