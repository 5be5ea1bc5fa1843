"""亮分: the county publishes a period's scores of a township (or every township of the county).

A publication is refused while an entry of the period is still awaiting 初审 or 复核 (or is
contested); it stores the standings as they are (the snapshot deputies see of each other) and
publishes ``scoring.score.published`` per township.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, insert, select

from contracts import scoring as ev
from kit.errors import ForbiddenError, NotFoundError, TransitionError
from kit.events import event
from kit.principal import Role
from scoring.adapters.store import Ledger, RuleSetRow, Store, entry_of
from scoring.domain.access import READERS, require_reader, require_rule_manager
from scoring.domain.publication import check_period, standings, unreviewed
from scoring.domain.reviews import Status
from scoring.domain.scorecard import score_cards
from scoring.handlers.context import Caller, Services
from scoring.handlers.ledgers import SOURCE


@dataclass(frozen=True)
class Publication:
    """One township's published period and its standings."""

    publication_id: str
    township: str
    year: int
    period: str
    period_start: date
    period_end: date
    rule_set_version: int
    standings: list[dict[str, Any]]
    published_by: str
    published_at: datetime


def publication_id(township: str, period: str) -> str:
    """Return the id of a township's publication of a period."""
    return f"{township}/{period}"


def _of(row: Row[Any]) -> Publication:
    return Publication(
        **{k: v for k, v in row._mapping.items() if k in Publication.__dataclass_fields__}
    )


async def _townships(svc: Services, store: Store, scope: str) -> list[str]:
    t = svc.tables.townships
    rows = await store.session.execute(
        select(t.c.code).where(t.c.code.startswith(scope)).order_by(t.c.code)
    )
    found = [r.code for r in rows]
    if not found:
        raise NotFoundError(f"no township known under {scope}")
    return found


async def _active(store: Store, county: str, year: int) -> RuleSetRow:
    found = await store.active(county, year)
    if not found:
        raise NotFoundError(f"no rule set is active for {county} in {year}")
    return found[0]


async def publish(
    svc: Services, caller: Caller, scope: str, year: int, period: str
) -> list[Publication]:
    """Publish a period's scores for a township or every township of a county (亮分)."""
    require_rule_manager(caller.principal, scope[:6])
    if not caller.principal.covers(scope):
        raise ForbiddenError("publication is the county administration's", township=scope)
    p = svc.tables.publications
    async with svc.uow() as uow:
        store = svc.store(uow)
        await store.lock_county(scope[:6])
        active = await _active(store, scope[:6], year)
        rules = svc.rules(active)
        start, end = check_period(period, year, rules.cadence.publication)
        townships = await _townships(svc, store, scope)
        done = set(
            (
                await uow.session.execute(
                    select(p.c.township).where(p.c.township.in_(townships), p.c.period == period)
                )
            ).scalars()
        )
        todo = [t for t in townships if t not in done]
        if not todo:
            svc.metrics.publications.labels("already").inc()
            raise TransitionError(f"{period} is already published for {scope}", state="published")
        rows = await store.entries(Ledger(active.county, year, active.version))
        pairs = [(entry_of(r), str(r.status)) for r in rows]
        waiting = {t: unreviewed(pairs, t, start, end) for t in todo}
        if any(waiting.values()):
            counts = ", ".join(f"{t}: {len(ids)}" for t, ids in waiting.items() if ids)
            svc.metrics.publications.labels("under_review").inc()
            raise TransitionError(
                f"entries of {period} still await 初审/复核 or a contest's resolution ({counts})",
                state="under_review",
            )
        live = [e for e, status in pairs if status != Status.voided and e.occurred_on <= end]
        roster = await store.serving_of(active.county)
        cards = score_cards(live, rules, roster)
        now = svc.now()
        out: list[Publication] = []
        for township in todo:
            lines = standings(cards, roster, township, period)
            found = Publication(
                publication_id=publication_id(township, period),
                township=township,
                year=year,
                period=period,
                period_start=start,
                period_end=end,
                rule_set_version=active.version,
                standings=[s.as_json() for s in lines],
                published_by=caller.subject,
                published_at=now,
            )
            await uow.session.execute(insert(p).values(county=active.county, **found.__dict__))
            uow.stage(
                event(
                    ev.ScorePublished(
                        publication_id=found.publication_id,
                        township=township,
                        period_start=start,
                        period_end=end,
                        period_label=period,
                        deputy_ids=tuple(s.deputy_id for s in lines),
                    ),
                    source=SOURCE,
                )
            )
            await svc.audit.record(
                uow.session,
                actor=caller.principal,
                action="publish_scores",
                resource_type="publication",
                resource_id=found.publication_id,
                township=township,
                detail={"deputies": len(lines), "rule_set_version": active.version},
            )
            out.append(found)
        await uow.commit()
    svc.metrics.publications.labels("published").inc(len(out))
    return out


async def published(
    svc: Services, caller: Caller, scope: str, year: int, period: str | None = None
) -> list[Publication]:
    """Return the publications under a scope for a year (of one period), newest period first.

    A deputy reads those of their own township; staff and county roles those of their scope.
    """
    p = caller.principal
    if p.has(Role.deputy) and not p.has(*READERS):
        if not p.covers(scope):
            raise ForbiddenError("deputies read their own township's publications", township=scope)
    else:
        require_reader(p, scope)
    t = svc.tables.publications
    where = [t.c.township.startswith(scope), t.c.year == year]
    if period is not None:
        where.append(t.c.period == period)
    async with svc.uow() as uow:
        rows = await uow.session.execute(
            select(t).where(*where).order_by(t.c.period_end.desc(), t.c.township)
        )
        return [_of(r) for r in rows]


async def latest(svc: Services, scope: str, year: int) -> dict[str, Publication]:
    """Return each township's latest publication of a year under a scope."""
    t = svc.tables.publications
    async with svc.uow() as uow:
        rows = await uow.session.execute(
            select(t)
            .where(t.c.township.startswith(scope), t.c.year == year)
            .order_by(t.c.period_end)
        )
        return {r.township: _of(r) for r in rows}


async def published_on(svc: Services, store: Store, township: str, period: str) -> datetime | None:
    """Return when a township's period was published, None while it is not."""
    t = svc.tables.publications
    found: datetime | None = await store.session.scalar(
        select(t.c.published_at).where(t.c.township == township, t.c.period == period)
    )
    return found
