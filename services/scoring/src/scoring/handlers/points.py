"""The ledger read and reviewed: a deputy's lines and card, leaderboards, review actions."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, insert, select, update

from contracts import scoring as ev
from kit.errors import NotFoundError, VersionConflictError
from kit.events import event
from kit.uow import UnitOfWork
from scoring.adapters.store import Ledger, RuleSetRow, Store, entry_of
from scoring.domain import reviews
from scoring.domain.access import require_deputy_reader, require_reader
from scoring.domain.reviews import Action, Status
from scoring.domain.rules import RuleSet
from scoring.domain.scorecard import ScoreCard, rank, score_cards
from scoring.handlers.context import Caller, Services
from scoring.handlers.ledgers import SOURCE
from scoring.handlers.totals import refresh_deputy


@dataclass(frozen=True)
class LedgerFilter:
    """What a ledger listing keeps: review status, rule, category, period."""

    status: str | None = None
    rule_id: str | None = None
    category: str | None = None
    period: str | None = None


async def _active(store: Store, county: str, year: int) -> RuleSetRow:
    found = await store.active(county, year)
    if not found:
        raise NotFoundError(f"no rule set is active for {county} in {year}")
    return found[0]


async def _deputy_township(store: Store, deputy_id: str) -> str:
    row = await store.deputy(deputy_id)
    if row is None:
        raise NotFoundError(f"deputy {deputy_id}")
    return str(row.township)


async def deputy_ledger(
    svc: Services, caller: Caller, deputy_id: str, year: int, only: LedgerFilter
) -> tuple[RuleSetRow, list[Row[Any]]]:
    """Return a deputy's ledger lines of a year (with their review status), filtered."""
    async with svc.uow() as uow:
        store = svc.store(uow)
        township = await _deputy_township(store, deputy_id)
        require_deputy_reader(caller.principal, deputy_id, township)
        active = await _active(store, township[:6], year)
        e = svc.tables.entries.c
        where: list[Any] = [e.deputy_id == deputy_id]
        for column, value in (
            (e.rule_id, only.rule_id),
            (e.category, only.category),
            (e.period, only.period),
        ):
            if value is not None:
                where.append(column == value)
        rows = await store.entries(Ledger(active.county, year, active.version), *where)
    if only.status is not None:
        rows = [r for r in rows if r.status == only.status]
    return active, rows


@dataclass(frozen=True)
class CardView:
    """A deputy's card with the status of every line and their ranks."""

    card: ScoreCard
    township: str
    statuses: dict[str, tuple[str, int]]
    rank_in_township: int
    rank_in_county: int


async def _cards(
    store: Store, rules: RuleSet, active: RuleSetRow, year: int
) -> tuple[dict[str, ScoreCard], dict[str, tuple[str, int]], dict[str, str]]:
    """Return every roster deputy's card of the county (voided lines left out)."""
    rows = await store.entries(Ledger(active.county, year, active.version))
    statuses = {r.entry_id: (r.status, r.status_version) for r in rows}
    entries = [entry_of(r) for r in rows if r.status != Status.voided]
    roster = {r.deputy_id: r.township for r in await store.deputies_of(active.county)}
    return score_cards(entries, rules, roster), statuses, roster


async def deputy_card(svc: Services, caller: Caller, deputy_id: str, year: int) -> CardView:
    """Return a deputy's score card: totals by category and period, grade, lines and ranks."""
    async with svc.uow() as uow:
        store = svc.store(uow)
        township = await _deputy_township(store, deputy_id)
        require_deputy_reader(caller.principal, deputy_id, township)
        active = await _active(store, township[:6], year)
        rules = svc.rules(active)
        cards, statuses, roster = await _cards(store, rules, active, year)
    totals = {d: c.total for d, c in cards.items()}
    in_township = {d: t for d, t in totals.items() if roster.get(d) == township}
    mine = cards[deputy_id]
    lines = {e.entry_id: statuses[e.entry_id] for e in mine.lines}
    return CardView(mine, township, lines, rank(in_township)[deputy_id], rank(totals)[deputy_id])


@dataclass(frozen=True)
class Standing:
    """One line of a leaderboard."""

    deputy_id: str
    township: str
    total: Decimal
    grade: str
    rank: int


async def leaderboard(svc: Services, caller: Caller, scope: str, year: int) -> list[Standing]:
    """Return the deputies of a township or county ranked by total (staff and county roles)."""
    require_reader(caller.principal, scope)
    async with svc.uow() as uow:
        store = svc.store(uow)
        active = await _active(store, scope[:6], year)
        cards, _, roster = await _cards(store, svc.rules(active), active, year)
    totals = {d: c.total for d, c in cards.items() if roster.get(d, "").startswith(scope)}
    ranks = rank(totals)
    board = [Standing(d, roster[d], cards[d].total, cards[d].grade.value, ranks[d]) for d in totals]
    return sorted(board, key=lambda s: (s.rank, s.deputy_id))


async def _entry(svc: Services, uow: UnitOfWork, entry_id: str) -> Row[Any]:
    """Return an entry of an active ledger, with its review status and version."""
    e, r, s = svc.tables.entries, svc.tables.rule_sets, svc.tables.entry_status
    row = (
        await uow.session.execute(
            select(e, s.c.status, s.c.version.label("status_version"))
            .join(
                r,
                (r.c.county == e.c.county)
                & (r.c.year == e.c.year)
                & (r.c.version == e.c.rule_set_version),
            )
            .outerjoin(s, s.c.entry_id == e.c.entry_id)
            .where(e.c.entry_id == entry_id, r.c.status == "active")
        )
    ).first()
    if row is None:
        raise NotFoundError(f"entry {entry_id}")
    return row


@dataclass(frozen=True)
class Reviewed:
    """An entry after a review action: its new status and version."""

    entry_id: str
    status: Status
    version: int


async def review(
    svc: Services, caller: Caller, entry_id: str, version: int, action: Action, reason: str | None
) -> Reviewed:
    """Take a review action on an entry at the version the caller read (If-Match)."""
    async with svc.uow() as uow:
        row = await _entry(svc, uow, entry_id)
        reviews.require_reviewer(caller.principal, action, row.township, row.deputy_id)
        status = Status(row.status or Status.provisional)
        current = row.status_version or 1
        if current != version:
            raise VersionConflictError(f"the entry is at version {current}; read it again")
        found = reviews.step(
            action,
            status,
            reason=reason,
            recorded_at=row.recorded_at,
            now=svc.now(),
            contest_days=svc.contest_days,
        )
        s = svc.tables.entry_status
        values = {
            "status": found.end.value,
            "version": current + 1,
            "updated_at": svc.now(),
            "updated_by": caller.subject,
        }
        if row.status is None:
            await uow.session.execute(insert(s).values(entry_id=entry_id, **values))
        else:
            done = await uow.session.execute(
                update(s).where(s.c.entry_id == entry_id, s.c.version == current).values(**values)
            )
            if getattr(done, "rowcount", 0) != 1:
                raise VersionConflictError("the entry changed meanwhile; read it again")
        await uow.session.execute(
            insert(svc.tables.entry_reviews).values(
                entry_id=entry_id,
                action=action.value,
                status=found.end.value,
                reviewer_id=caller.subject,
                reason=reason,
                at=svc.now(),
            )
        )
        await svc.audit.record(
            uow.session,
            actor=caller.principal,
            action=action.value,
            resource_type="ledger_entry",
            resource_id=entry_id,
            township=row.township,
            detail={"from": status.value, "to": found.end.value},
        )
        uow.stage(
            event(
                ev.PointsReviewed(
                    entry_id=entry_id,
                    deputy_id=row.deputy_id,
                    township=row.township,
                    stage=found.stage,
                    decision=found.decision,
                    reviewer_id=caller.subject,
                    reason=reason,
                ),
                source=SOURCE,
            )
        )
        await refresh_deputy(svc, uow, row)
        await uow.commit()
    return Reviewed(entry_id, found.end, current + 1)


async def entry_reviews(svc: Services, caller: Caller, entry_id: str) -> list[Row[Any]]:
    """Return an entry's review history (who, what, why, when)."""
    async with svc.uow() as uow:
        row = await _entry(svc, uow, entry_id)
        township = await _deputy_township(svc.store(uow), row.deputy_id)
        require_deputy_reader(caller.principal, row.deputy_id, township)
        r = svc.tables.entry_reviews
        found = await uow.session.execute(
            select(r).where(r.c.entry_id == entry_id).order_by(r.c.seq)
        )
        return list(found)
