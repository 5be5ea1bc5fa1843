"""The ledger read and reviewed: a deputy's lines and card, leaderboards, review actions."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, insert, select, update

from contracts import scoring as ev
from kit.audit import change_detail
from kit.errors import ForbiddenError, NotFoundError, TransitionError, VersionConflictError
from kit.events import event
from kit.principal import Role
from kit.uow import UnitOfWork
from scoring.adapters.store import Ledger, RuleSetRow, Store, entry_of
from scoring.domain import reviews
from scoring.domain.access import READERS, require_deputy_reader, require_reader
from scoring.domain.reviews import Action, Status
from scoring.domain.rules import ContestFrom, RuleSet
from scoring.domain.scorecard import ScoreCard, rank, score_card, score_cards
from scoring.domain.totals import grade_for
from scoring.handlers.context import Caller, Services
from scoring.handlers.ledgers import SOURCE
from scoring.handlers.publications import latest, published_on
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
    rank_in_township: int | None
    rank_in_county: int | None
    ranked_as_of: str | None = None


async def _cards(
    store: Store, rules: RuleSet, active: RuleSetRow, year: int
) -> tuple[dict[str, ScoreCard], dict[str, tuple[str, int]], dict[str, str]]:
    """Return every roster deputy's card of the county (voided lines left out)."""
    rows = await store.entries(Ledger(active.county, year, active.version))
    statuses = {r.entry_id: (r.status, r.status_version) for r in rows}
    entries = [entry_of(r) for r in rows if r.status != Status.voided]
    roster = {r.deputy_id: r.township for r in await store.deputies_of(active.county)}
    return score_cards(entries, rules, roster), statuses, roster


@dataclass(frozen=True)
class Standings:
    """Every deputy's total and minimums' counts in a ledger, read off the totals projection."""

    totals: dict[str, Decimal]
    minimums: dict[str, dict[str, int]]
    roster: dict[str, str]

    @property
    def best(self) -> Decimal:
        """Return the best total (what normalised grading divides by)."""
        return max(self.totals.values(), default=Decimal(0))

    def grade(self, deputy_id: str, rules: RuleSet) -> str:
        """Return a deputy's grade as the card grades it (against the best total now)."""
        counts = self.minimums.get(deputy_id, {})
        return grade_for(self.totals[deputy_id], counts, rules, self.best).value


async def _standings(store: Store, rules: RuleSet, active: RuleSetRow, year: int) -> Standings:
    """Return the serving deputies' totals: the projection's rows, the base for one without lines."""
    roster = await store.serving_of(active.county)
    t = store.t.deputy_totals
    rows = await store.session.execute(
        select(t.c.deputy_id, t.c.township, t.c.total, t.c.minimums).where(
            t.c.county == active.county, t.c.year == year, t.c.rule_set_version == active.version
        )
    )
    totals = dict.fromkeys(roster, rules.base_points)
    minimums: dict[str, dict[str, int]] = {}
    for r in rows:
        if r.deputy_id in roster:
            totals[r.deputy_id] = Decimal(r.total)
            minimums[r.deputy_id] = {k: int(v) for k, v in r.minimums.items()}
    return Standings(totals, minimums, roster)


async def deputy_card(svc: Services, caller: Caller, deputy_id: str, year: int) -> CardView:
    """Return a deputy's score card: totals by category and period, grade, lines and ranks.

    The card is made from the deputy's own lines; where the deputy stands among the others is
    read off the totals projection the consumer keeps (not every card of the county).
    """
    async with svc.uow() as uow:
        store = svc.store(uow)
        township = await _deputy_township(store, deputy_id)
        require_deputy_reader(caller.principal, deputy_id, township)
        active = await _active(store, township[:6], year)
        rules = svc.rules(active)
        e = svc.tables.entries.c
        rows = await store.entries(
            Ledger(active.county, year, active.version), e.deputy_id == deputy_id
        )
        board = await _standings(store, rules, active, year)
    lines = {r.entry_id: (r.status, r.status_version) for r in rows}
    kept = [entry_of(r) for r in rows if r.status != Status.voided]
    board.totals.setdefault(deputy_id, rules.base_points)
    mine = score_card(deputy_id, kept, rules, best_total=board.best)
    if caller.principal.has(Role.deputy) and not caller.principal.has(*READERS):
        # a deputy's own numbers are live; where they stand among others only as published
        pub = (await latest(svc, township, year)).get(township)
        ranked = {s["deputy_id"]: s["rank"] for s in pub.standings} if pub else {}
        return CardView(
            mine, township, lines, ranked.get(deputy_id), None, pub.period if pub else None
        )
    if deputy_id not in board.roster:  # the mandate ended: a card, but no place among those serving
        return CardView(mine, township, lines, None, None)
    totals = board.totals
    in_township = {d: v for d, v in totals.items() if board.roster.get(d) == township}
    in_township.setdefault(deputy_id, totals[deputy_id])
    return CardView(mine, township, lines, rank(in_township)[deputy_id], rank(totals)[deputy_id])


@dataclass(frozen=True)
class Standing:
    """One line of a leaderboard."""

    deputy_id: str
    township: str
    total: Decimal
    grade: str
    rank: int
    period: str | None = None
    name: str | None = None


def _named(board: list[Standing], names: dict[str, str]) -> list[Standing]:
    """Return the board with each deputy's roster name (None until scoring has read one)."""
    return [replace(s, name=names.get(s.deputy_id)) for s in board]


async def _published_board(svc: Services, caller: Caller, scope: str, year: int) -> list[Standing]:
    """Return a deputy's view: the latest published standings of their township (亮分), if any."""
    if not caller.principal.covers(scope):
        raise ForbiddenError(
            "deputies see their own township's published standings", township=scope
        )
    board = [
        Standing(
            s["deputy_id"], pub.township, Decimal(s["total"]), s["grade"], s["rank"], pub.period
        )
        for pub in (await latest(svc, scope, year)).values()
        for s in pub.standings
    ]
    async with svc.uow() as uow:
        names = await svc.store(uow).names_of({s.deputy_id for s in board})
    return sorted(_named(board, names), key=lambda s: (s.township, s.rank, s.deputy_id))


async def leaderboard(svc: Services, caller: Caller, scope: str, year: int) -> list[Standing]:
    """Return the deputies of a township or county ranked by total.

    Staff and county roles see it live; a deputy only what was published (亮分) for their
    township, the latest period, and nothing before the first publication.
    """
    if caller.principal.has(Role.deputy) and not caller.principal.has(*READERS):
        return await _published_board(svc, caller, scope, year)
    require_reader(caller.principal, scope)
    async with svc.uow() as uow:
        store = svc.store(uow)
        active = await _active(store, scope[:6], year)
        rules = svc.rules(active)
        found = await _standings(store, rules, active, year)
        roster = found.roster
        totals = {d: v for d, v in found.totals.items() if roster.get(d, "").startswith(scope)}
        names = await store.names_of(totals)
    ranks = rank(totals)
    board = [Standing(d, roster[d], v, found.grade(d, rules), ranks[d]) for d, v in totals.items()]
    return sorted(_named(board, names), key=lambda s: (s.rank, s.deputy_id))


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
        opened, words, days = row.recorded_at, "the entry was recorded", svc.contest_days
        if action is Action.contest:
            opened, words, days = await _contest_window(svc, uow, row)
        try:
            found = reviews.step(
                action,
                status,
                reason=reason,
                recorded_at=opened,
                now=svc.now(),
                contest_days=days,
                window_opened=words,
            )
        except TransitionError:
            if action is Action.contest:
                svc.metrics.contests.labels("refused").inc()
            raise
        await _move(svc, uow, caller, row, current, found.end, action.value, reason)
        resolves = _RESOLVES.get(action) if status is Status.contested else None
        if resolves is not None:
            note = reason or f"{action.value} without a note"
            await _close_contest(svc, uow, caller, row, resolves, note)
        if action is Action.contest:
            await uow.session.execute(
                insert(svc.tables.contests).values(
                    entry_id=entry_id,
                    deputy_id=row.deputy_id,
                    township=row.township,
                    reason=reason,
                    contested_at=svc.now(),
                )
            )
        await svc.audit.record(
            uow.session,
            actor=caller.principal,
            action=action.value,
            resource_type="ledger_entry",
            resource_id=entry_id,
            township=row.township,
            detail=change_detail({"status": status}, {"status": found.end}),
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
    if action is Action.contest:
        svc.metrics.contests.labels("contested").inc()
    if resolves is not None:
        svc.metrics.contests.labels(resolves.value).inc()
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


async def _contest_window(svc: Services, uow: UnitOfWork, row: Row[Any]) -> tuple[Any, str, int]:
    """Return when an entry's contest window opened, in words, and its days (per the rules)."""
    rule_set = await svc.store(uow).rule_set(row.county, row.year, row.rule_set_version)
    assert rule_set is not None
    cadence = svc.rules(rule_set).cadence
    days = cadence.contest_days or svc.contest_days
    if cadence.contest_from is ContestFrom.publication:
        at = await published_on(svc, svc.store(uow), row.township, row.period)
        # Not published yet: the window has not started counting, so it is open.
        return at or svc.now(), f"the publication (亮分) of {row.period}", days
    return row.recorded_at, "the entry was recorded", days


async def _move(
    svc: Services,
    uow: UnitOfWork,
    caller: Caller,
    row: Row[Any],
    current: int,
    end: Status,
    action: str,
    reason: str | None,
) -> None:
    """Move an entry's review status from the version read (If-Match) and keep the history."""
    s = svc.tables.entry_status
    values = {
        "status": end.value,
        "version": current + 1,
        "updated_at": svc.now(),
        "updated_by": caller.subject,
    }
    if row.status is None:
        await uow.session.execute(insert(s).values(entry_id=row.entry_id, **values))
    else:
        done = await uow.session.execute(
            update(s).where(s.c.entry_id == row.entry_id, s.c.version == current).values(**values)
        )
        if getattr(done, "rowcount", 0) != 1:
            raise VersionConflictError("the entry changed meanwhile; read it again")
    await uow.session.execute(
        insert(svc.tables.entry_reviews).values(
            entry_id=row.entry_id,
            action=action,
            status=end.value,
            reviewer_id=caller.subject,
            reason=reason,
            at=svc.now(),
        )
    )


async def _status_before_contest(svc: Services, uow: UnitOfWork, entry_id: str) -> Status:
    """Return the status an entry had before its latest contest (provisional if never reviewed)."""
    r = svc.tables.entry_reviews
    rows = list(
        await uow.session.execute(
            select(r.c.action, r.c.status).where(r.c.entry_id == entry_id).order_by(r.c.seq)
        )
    )
    before = Status.provisional
    for i, x in enumerate(rows):
        if x.action == Action.contest.value:
            before = Status(rows[i - 1].status) if i > 0 else Status.provisional
    return before


async def _close_contest(
    svc: Services,
    uow: UnitOfWork,
    caller: Caller,
    row: Row[Any],
    outcome: ev.ContestOutcome,
    explanation: str,
) -> None:
    """Record the resolution on the entry's open contest and stage ``scoring.contest.resolved``."""
    c = svc.tables.contests
    open_contest = await uow.session.scalar(
        select(func.max(c.c.seq)).where(c.c.entry_id == row.entry_id, c.c.outcome.is_(None))
    )
    contest = (await uow.session.execute(select(c).where(c.c.seq == open_contest))).first()
    if contest is None:
        raise NotFoundError(f"no open contest of entry {row.entry_id}")
    await uow.session.execute(
        update(c)
        .where(c.c.seq == contest.seq)
        .values(
            outcome=outcome.value,
            explanation=explanation,
            resolved_by=caller.subject,
            resolved_at=svc.now(),
        )
    )
    uow.stage(
        event(
            ev.ContestResolved(
                entry_id=row.entry_id,
                deputy_id=row.deputy_id,
                township=row.township,
                outcome=outcome,
                explanation=explanation,
                contest_reason=contest.reason,
                resolver_id=caller.subject,
            ),
            source=SOURCE,
        )
    )


# A contested entry approved again at 初审 or voided is resolved by that action too.
_RESOLVES = {
    Action.first_review: ev.ContestOutcome.rejected,
    Action.void: ev.ContestOutcome.upheld,
}


async def resolve_contest(
    svc: Services,
    caller: Caller,
    entry_id: str,
    version: int,
    outcome: ev.ContestOutcome,
    explanation: str,
) -> Reviewed:
    """Resolve a deputy's contest of an entry (upheld, corrected, rejected) with an explanation."""
    async with svc.uow() as uow:
        row = await _entry(svc, uow, entry_id)
        reviews.require_resolver(caller.principal, row.township)
        status = Status(row.status or Status.provisional)
        current = row.status_version or 1
        if current != version:
            raise VersionConflictError(f"the entry is at version {current}; read it again")
        before = await _status_before_contest(svc, uow, entry_id)
        end = reviews.resolve(outcome, status, before, explanation)
        await _move(svc, uow, caller, row, current, end, f"resolve_{outcome.value}", explanation)
        await _close_contest(svc, uow, caller, row, outcome, explanation)
        await svc.audit.record(
            uow.session,
            actor=caller.principal,
            action="resolve_contest",
            resource_type="ledger_entry",
            resource_id=entry_id,
            township=row.township,
            detail=change_detail({"status": status}, {"status": end}, outcome=outcome),
        )
        await uow.commit()
    svc.metrics.contests.labels(outcome.value).inc()
    return Reviewed(entry_id, end, current + 1)


async def deputy_contests(svc: Services, caller: Caller, deputy_id: str) -> list[Row[Any]]:
    """Return a deputy's contests with their resolutions and explanations, newest first."""
    async with svc.uow() as uow:
        township = await _deputy_township(svc.store(uow), deputy_id)
        require_deputy_reader(caller.principal, deputy_id, township)
        c = svc.tables.contests
        rows = await uow.session.execute(
            select(c).where(c.c.deputy_id == deputy_id).order_by(c.c.seq.desc())
        )
        return list(rows)
