"""Load and save contact proposals inside the caller's unit of work (never commits)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from deputies.adapters.rows import aware, maybe_aware
from deputies.adapters.store import Store
from deputies.domain.errors import TransitionError
from deputies.domain.proposals import PROPOSABLE, ContactProposal, ProposalState

LIST_LIMIT = 500
"""Most proposals one list returns (a township's pending ones are a handful)."""


def proposal_from_row(m: Any) -> ContactProposal:
    """Return a proposal from its row's mapping."""
    fields = [f for f in str(m["fields"]).split(",") if f]
    return ContactProposal(
        id=m["id"],
        deputy_id=m["deputy_id"],
        township=m["township"],
        changes={f: m[f] for f in fields},
        was={f: m[f"was_{f}"] for f in fields},
        base_version=m["base_version"],
        proposed_by=m["proposed_by"],
        proposed_at=aware(m["proposed_at"]),
        state=ProposalState(m["state"]),
        decided_by=m["decided_by"],
        decided_at=maybe_aware(m["decided_at"]),
        reason=m["reason"],
        deputy_version=m["deputy_version"],
    )


class ProposalStore(Store):
    """Contact proposals: add, read, decide (only a pending one), list."""

    async def add(self, p: ContactProposal) -> None:
        """Insert a new proposal (one pending per deputy: the unique index says so at commit)."""
        values: dict[str, Any] = {
            "id": p.id,
            "deputy_id": p.deputy_id,
            "township": p.township,
            "state": p.state.value,
            "fields": ",".join(p.fields),
            "base_version": p.base_version,
            "proposed_by": p.proposed_by[:120],
            "proposed_at": p.proposed_at,
        }
        for name in PROPOSABLE:
            values[name] = p.changes.get(name)
            values[f"was_{name}"] = p.was.get(name)
        await self._run(self.t.contact_proposals.insert().values(**values))

    async def get(self, proposal_id: str, *, lock: bool = False) -> ContactProposal | None:
        """Return a proposal by id (locked for a decision when ``lock``)."""
        query = select(self.t.contact_proposals).where(self.t.contact_proposals.c.id == proposal_id)
        if lock:
            query = query.with_for_update()
        row = (await self._run(query)).one_or_none()
        return proposal_from_row(row._mapping) if row is not None else None

    async def pending_of(self, deputy_id: str) -> ContactProposal | None:
        """Return a deputy's pending proposal, if any."""
        c = self.t.contact_proposals.c
        query = select(self.t.contact_proposals).where(
            c.deputy_id == deputy_id, c.state == ProposalState.pending.value
        )
        row = (await self._run(query)).one_or_none()
        return proposal_from_row(row._mapping) if row is not None else None

    async def decide(self, p: ContactProposal) -> None:
        """Record a decision on a proposal that is still pending (409 when it was decided)."""
        c = self.t.contact_proposals.c
        result = await self._run(
            update(self.t.contact_proposals)
            .where(c.id == p.id, c.state == ProposalState.pending.value)
            .values(
                state=p.state.value,
                decided_by=(p.decided_by or "")[:120],
                decided_at=p.decided_at,
                reason=p.reason,
                deputy_version=p.deputy_version,
            )
        )
        if result.rowcount != 1:
            raise TransitionError("the proposal was decided meanwhile", state="decided")

    async def listed(
        self,
        *,
        township: str | None = None,
        deputy_id: str | None = None,
        state: ProposalState | None = None,
    ) -> list[ContactProposal]:
        """Return proposals of a township (a prefix) or a deputy, oldest first."""
        c = self.t.contact_proposals.c
        query = select(self.t.contact_proposals)
        if township is not None:
            query = query.where(c.township.startswith(township, autoescape=True))
        if deputy_id is not None:
            query = query.where(c.deputy_id == deputy_id)
        if state is not None:
            query = query.where(c.state == state.value)
        rows = await self._run(query.order_by(c.proposed_at, c.id).limit(LIST_LIMIT))
        return [proposal_from_row(r._mapping) for r in rows]
