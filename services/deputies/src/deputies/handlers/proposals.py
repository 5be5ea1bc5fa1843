"""Contact proposals: a deputy proposes their own new phone or address, staff decide it.

An approval changes the record through ``apply_update``, the path every edit takes: the same
``deputies.deputy.updated`` event, version bump and audit entry (with the proposal's id).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.exc import IntegrityError

from deputies import events
from deputies.adapters.proposals import ProposalStore
from deputies.domain.access import ScopeError, can_write, sees_contact
from deputies.domain.errors import (
    FieldError,
    InputError,
    NotFoundError,
    TransitionError,
    VersionConflictError,
)
from deputies.domain.model import Deputy
from deputies.domain.proposals import (
    ContactProposal,
    ProposalState,
    proposed_changes,
    require_no_conflict,
    require_own,
    require_pending,
)
from deputies.handlers.context import Caller, Services, new_id
from deputies.handlers.deputies import RESTRICTED, apply_update
from kit.audit import change_detail
from kit.masking import MaskKind, masked, valid_mobile
from kit.uow import UnitOfWork

PENDING_NOW = "a proposal of yours is pending: wait for its decision"
RESOURCE = "contact_proposal"


def contacts(deputy: Deputy) -> dict[str, str | None]:
    """Return the proposable contacts of a deputy as the record holds them."""
    return {"phone": deputy.contact.phone, "address": deputy.contact.address}


def _validate(changes: dict[str, str]) -> None:
    """Refuse values an edit of the record would refuse."""
    errors = []
    if "phone" in changes and not valid_mobile(changes["phone"]):
        errors.append(FieldError(("phone",), "not a valid mobile phone number", "phone"))
    if len(changes.get("address", "")) > 300:
        errors.append(FieldError(("address",), "at most 300 characters", "too_long"))
    if errors:
        raise InputError(errors)


def _audit(
    svc: Services, uow: UnitOfWork, caller: Caller, p: ContactProposal, action: str, **detail: Any
) -> None:
    svc.audit.add(
        uow,
        actor=caller.principal,
        action=action,
        resource_type=RESOURCE,
        resource_id=p.id,
        township=p.township,
        detail={"deputy_id": p.deputy_id, "fields": list(p.fields), **detail},
    )


async def propose(
    svc: Services, caller: Caller, deputy_id: str, expected_version: int, asked: dict[str, Any]
) -> ContactProposal:
    """Record a deputy's proposal for their own record, made on the version they read."""
    require_own(caller.viewer, deputy_id)
    async with svc.uow() as uow:
        deputy = await svc.repository(uow).deputy(deputy_id)
        if deputy is None:
            raise NotFoundError(f"deputy {deputy_id}")
        if deputy.version != expected_version:
            raise VersionConflictError(f"deputy is at version {deputy.version}")
        current = contacts(deputy)
        changes = proposed_changes(asked, current)
        _validate(changes)
        store = ProposalStore(uow, svc.tables)
        if await store.pending_of(deputy_id) is not None:
            raise TransitionError(PENDING_NOW, state=ProposalState.pending.value)
        proposal = ContactProposal(
            id=new_id(),
            deputy_id=deputy.id,
            township=deputy.township,
            changes=changes,
            was={n: current[n] for n in changes},
            base_version=deputy.version,
            proposed_by=caller.subject,
            proposed_at=svc.now(),
        )
        await store.add(proposal)
        _audit(
            svc,
            uow,
            caller,
            proposal,
            "propose",
            **change_detail(proposal.was, proposal.changes, restricted=RESTRICTED),
            base_version=proposal.base_version,
        )
        uow.stage(events.contact_change_proposed(proposal, caller))
        try:
            await uow.commit()
        except IntegrityError:  # a second proposal in a race: the pending index refused it
            raise TransitionError(PENDING_NOW, state=ProposalState.pending.value) from None
    return proposal


async def _decidable(store: ProposalStore, caller: Caller, proposal_id: str) -> ContactProposal:
    """Load a proposal for a decision: authorise (staff of its township), then its state."""
    proposal = await store.get(proposal_id, lock=True)
    if proposal is None:
        raise NotFoundError(f"contact proposal {proposal_id}")
    if not can_write(caller.viewer, proposal.township):
        raise ScopeError(f"no write access to township {proposal.township}")
    require_pending(proposal)
    return proposal


async def approve(
    svc: Services, caller: Caller, proposal_id: str
) -> tuple[ContactProposal, Deputy]:
    """Approve a pending proposal: the record changes as an edit would, or 409 on a conflict."""
    async with svc.uow() as uow:
        store = ProposalStore(uow, svc.tables)
        proposal = await _decidable(store, caller, proposal_id)
        deputy = await svc.repository(uow).deputy(proposal.deputy_id)
        if deputy is None:
            raise NotFoundError(f"deputy {proposal.deputy_id}")
        require_no_conflict(proposal, contacts(deputy), deputy.version)
        deputy, _ = await apply_update(
            svc,
            uow,
            caller,
            deputy.id,
            deputy.version,
            dict(proposal.changes),
            proposal=proposal.id,
        )
        decided = replace(
            proposal,
            state=ProposalState.approved,
            decided_by=caller.subject,
            decided_at=svc.now(),
            deputy_version=deputy.version,
        )
        await store.decide(decided)
        _audit(svc, uow, caller, decided, "approve", deputy_version=deputy.version)
        uow.stage(events.contact_change_approved(decided, caller))
        await uow.commit()
    return decided, deputy


async def reject(svc: Services, caller: Caller, proposal_id: str, reason: str) -> ContactProposal:
    """Reject a pending proposal with a reason; the record stays as it is."""
    async with svc.uow() as uow:
        store = ProposalStore(uow, svc.tables)
        proposal = await _decidable(store, caller, proposal_id)
        decided = replace(
            proposal,
            state=ProposalState.rejected,
            decided_by=caller.subject,
            decided_at=svc.now(),
            reason=reason,
        )
        await store.decide(decided)
        _audit(svc, uow, caller, decided, "reject", reason=reason)
        uow.stage(events.contact_change_rejected(decided, caller))
        await uow.commit()
    return decided


def proposal_view(p: ContactProposal, viewer: Any) -> dict[str, Any]:
    """Return a proposal as a viewer may see it (the values in clear to the deputy and staff)."""
    clear = sees_contact(viewer, p.township, p.deputy_id)
    return {
        "id": p.id,
        "deputy_id": p.deputy_id,
        "township": p.township,
        "state": p.state.value,
        "fields": list(p.fields),
        "phone": masked(p.changes.get("phone"), MaskKind.phone, reveal=clear),
        "address": masked(p.changes.get("address"), MaskKind.address, reveal=clear),
        "base_version": p.base_version,
        "proposed_by": p.proposed_by,
        "proposed_at": p.proposed_at,
        "decided_by": p.decided_by,
        "decided_at": p.decided_at,
        "reason": p.reason,
        "deputy_version": p.deputy_version,
    }


def _read_in_clear(
    svc: Services, uow: UnitOfWork, caller: Caller, shown: list[ContactProposal], township: str
) -> None:
    """Audit staff reading proposed contacts in clear (the deputy reading their own is not)."""
    others = [p.id for p in shown if p.deputy_id != caller.viewer.deputy_id]
    if others:
        svc.audit.add(
            uow,
            actor=caller.principal,
            action="read_restricted",
            resource_type=RESOURCE,
            township=township,
            detail={"count": len(others), "ids": others[:200]},
        )


async def township_proposals(
    svc: Services, caller: Caller, township: str, state: ProposalState | None
) -> list[dict[str, Any]]:
    """Return the proposals of a township (or a county) for the staff who decide them."""
    if not can_write(caller.viewer, township):
        raise ScopeError(f"no access to the proposals of {township}")
    async with svc.uow() as uow:
        found = await ProposalStore(uow, svc.tables).listed(township=township, state=state)
        _read_in_clear(svc, uow, caller, found, township)
        await uow.commit()
    return [proposal_view(p, caller.viewer) for p in found]


async def deputy_proposals(svc: Services, caller: Caller, deputy_id: str) -> list[dict[str, Any]]:
    """Return a deputy's proposals: to the deputy themself and to the staff of their township."""
    async with svc.uow() as uow:
        deputy = await svc.repository(uow).deputy(deputy_id)
        if deputy is None:
            raise NotFoundError(f"deputy {deputy_id}")
        if caller.viewer.deputy_id != deputy_id and not can_write(caller.viewer, deputy.township):
            raise ScopeError("only the deputy and their township's staff see their proposals")
        found = await ProposalStore(uow, svc.tables).listed(deputy_id=deputy_id)
        _read_in_clear(svc, uow, caller, found, deputy.township)
        await uow.commit()
    return [proposal_view(p, caller.viewer) for p in found]
