"""Planned activities, their expected deputies and calendar feed tokens, in the caller's session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from deputies.adapters.rows import aware, deputy_from_row, levels_of, maybe_aware
from deputies.adapters.store import Store, now
from deputies.domain.model import ActivityType, Deputy, DeputyStatus, Level
from deputies.domain.plans import Place, PlannedActivity, PlanState


@dataclass(frozen=True)
class FeedToken:
    """A calendar feed token's row: whose it is, what they may see, which feed, revoked or not."""

    id: str
    subject: str
    roles: frozenset[str]
    scope: str
    deputy_id: str | None
    feed_kind: str
    feed_key: str
    created_at: datetime
    revoked_at: datetime | None = None


def plan_from(m: Any, expected: frozenset[str]) -> PlannedActivity:
    """Rebuild a plan from its row and its expected deputies."""
    return PlannedActivity(
        id=m["id"],
        township=m["township"],
        type=ActivityType(m["type"]),
        title=m["title"],
        levels=levels_of(m["level_county"], m["level_township"]),
        starts_at=aware(m["starts_at"]),
        ends_at=aware(m["ends_at"]),
        place=Place(station_id=m["station_id"], address=m["address"]),
        expected=expected,
        state=PlanState(m["state"]),
        sequence=m["sequence"],
        version=m["version"],
    )


class PlanStore(Store):
    """Plans with their expected deputies; feed tokens."""

    async def plan(self, plan_id: str, *, lock: bool = False) -> PlannedActivity | None:
        """Return a plan with its expected deputies (row-locked for a change when asked)."""
        p, e = self.t.planned_activities, self.t.planned_participants
        query = select(p).where(p.c.id == plan_id)
        row = (await self._run(query.with_for_update() if lock else query)).one_or_none()
        if row is None:
            return None
        ids = await self._run(select(e.c.deputy_id).where(e.c.plan_id == plan_id))
        return plan_from(row._mapping, frozenset(ids.scalars()))

    async def add_plan(self, plan: PlannedActivity) -> None:
        """Insert a new plan with its expected deputies."""
        at = now()
        await self._run(
            self.t.planned_activities.insert().values(
                id=plan.id, created_at=at, **self._values(plan, at)
            )
        )
        if plan.expected:
            await self._run(
                self.t.planned_participants.insert(),
                [{"plan_id": plan.id, "deputy_id": d} for d in sorted(plan.expected)],
            )

    async def save_plan(self, plan: PlannedActivity, expected_version: int) -> None:
        """Write a changed plan at the version it was read (its expected deputies stay)."""
        await self._update_versioned(
            self.t.planned_activities, plan.id, expected_version, self._values(plan, now())
        )

    @staticmethod
    def _values(plan: PlannedActivity, at: datetime) -> dict[str, Any]:
        return {
            "township": plan.township,
            "type": plan.type.value,
            "title": plan.title,
            "level_county": Level.county in plan.levels,
            "level_township": Level.township in plan.levels,
            "starts_at": plan.starts_at,
            "ends_at": plan.ends_at,
            "station_id": plan.place.station_id,
            "address": plan.place.address,
            "state": plan.state.value,
            "sequence": plan.sequence,
            "version": plan.version,
            "updated_at": at,
        }

    async def township_deputies(self, township: str) -> list[Deputy]:
        """Return the township's deputies not terminated (the default invitation's pool)."""
        d = self.t.deputies
        rows = await self._run(
            select(d).where(d.c.township == township, d.c.status != DeputyStatus.terminated.value)
        )
        return [deputy_from_row(r) for r in rows]

    # feed tokens
    async def add_token(self, token: FeedToken) -> None:
        """Insert a feed token."""
        await self._run(
            self.t.feed_tokens.insert().values(
                id=token.id,
                subject=token.subject,
                roles=",".join(sorted(token.roles)),
                scope=token.scope,
                deputy_id=token.deputy_id,
                feed_kind=token.feed_kind,
                feed_key=token.feed_key,
                created_at=token.created_at,
            )
        )

    async def token(self, token_id: str) -> FeedToken | None:
        """Return a feed token by id."""
        t = self.t.feed_tokens
        row = (await self._run(select(t).where(t.c.id == token_id))).one_or_none()
        return None if row is None else _token_from(row._mapping)

    async def tokens_of(self, subject: str) -> list[FeedToken]:
        """Return a person's feed tokens, newest first."""
        t = self.t.feed_tokens
        rows = await self._run(
            select(t).where(t.c.subject == subject).order_by(t.c.created_at.desc(), t.c.id)
        )
        return [_token_from(r._mapping) for r in rows]

    async def tokens_in(self, county: str) -> list[FeedToken]:
        """Return every feed token issued within a county, newest first."""
        t = self.t.feed_tokens
        rows = await self._run(
            select(t)
            .where(t.c.scope.startswith(county, autoescape=True))
            .order_by(t.c.created_at.desc(), t.c.id)
        )
        return [_token_from(r._mapping) for r in rows]

    async def deputy_status(self, deputy_id: str) -> DeputyStatus | None:
        """Return a deputy's mandate status now (None: no such deputy)."""
        d = self.t.deputies
        found = await self._run(select(d.c.status).where(d.c.id == deputy_id))
        value = found.scalar_one_or_none()
        return None if value is None else DeputyStatus(value)

    async def revoke_token(self, token_id: str) -> None:
        """Mark a feed token revoked (from now on it opens nothing)."""
        t = self.t.feed_tokens
        await self._run(
            update(t).where(t.c.id == token_id, t.c.revoked_at.is_(None)).values(revoked_at=now())
        )


def _token_from(m: Any) -> FeedToken:
    return FeedToken(
        id=m["id"],
        subject=m["subject"],
        roles=frozenset(r for r in m["roles"].split(",") if r),
        scope=m["scope"],
        deputy_id=m["deputy_id"],
        feed_kind=m["feed_kind"],
        feed_key=m["feed_key"],
        created_at=aware(m["created_at"]),
        revoked_at=maybe_aware(m["revoked_at"]),
    )
