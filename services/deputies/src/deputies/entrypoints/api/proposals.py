"""Routes: a deputy's contact proposals (propose, list, approve, reject)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, StringConstraints

from deputies.domain.proposals import ProposalState
from deputies.entrypoints.api.deps import CallerDep, IfMatch, etag
from deputies.entrypoints.api.schemas import Body, Long, Reason
from deputies.handlers.context import Services
from deputies.handlers.proposals import (
    approve,
    deputy_proposals,
    proposal_view,
    propose,
    reject,
    township_proposals,
)

Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)]


class ProposalIn(Body):
    """The new phone and/or address (send only what changes; the ID number is not proposable)."""

    phone: Phone | None = None
    address: Long | None = None


class DecisionIn(Body):
    """Why a proposal is rejected."""

    reason: Reason


class ProposalOut(BaseModel):
    """A contact proposal; the values are in clear to the deputy and their township's staff."""

    id: str
    deputy_id: str
    township: str
    state: ProposalState
    fields: list[str]
    phone: str | None
    address: str | None
    base_version: int
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    deputy_version: int | None


def router(svc: Services) -> APIRouter:
    """Return the contact proposal routes."""
    api = APIRouter(tags=["contact proposals"])

    @api.post(
        "/deputies/{deputy_id}/contact-proposals",
        response_model=ProposalOut,
        status_code=status.HTTP_201_CREATED,
        summary="Propose a change of one's own phone or address (the deputy; If-Match)",
    )
    async def post_proposal(
        deputy_id: str, body: ProposalIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        proposal = await propose(
            svc, caller, deputy_id, version, body.model_dump(exclude_unset=True)
        )
        response.headers["Location"] = f"/api/v1/contact-proposals/{proposal.id}"
        return proposal_view(proposal, caller.viewer)

    @api.get(
        "/deputies/{deputy_id}/contact-proposals",
        response_model=list[ProposalOut],
        summary="A deputy's proposals (the deputy, their township's staff)",
    )
    async def list_own(deputy_id: str, caller: CallerDep) -> list[dict[str, Any]]:
        return await deputy_proposals(svc, caller, deputy_id)

    @api.get(
        "/contact-proposals",
        response_model=list[ProposalOut],
        summary="Proposals of a township or county, pending by default (staff)",
    )
    async def list_township(
        caller: CallerDep,
        township: Annotated[str, Query(pattern=r"^\d{6}(\d{3})?$")],
        state: ProposalState | None = ProposalState.pending,
    ) -> list[dict[str, Any]]:
        return await township_proposals(svc, caller, township, state)

    @api.post(
        "/contact-proposals/{proposal_id}/approve",
        response_model=ProposalOut,
        summary="Approve: the deputy's record changes as an edit would (409 on a conflict)",
    )
    async def post_approve(
        proposal_id: str, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        proposal, deputy = await approve(svc, caller, proposal_id)
        etag(response, deputy.version)  # the deputy's record's new version
        return proposal_view(proposal, caller.viewer)

    @api.post(
        "/contact-proposals/{proposal_id}/reject",
        response_model=ProposalOut,
        summary="Reject, with a reason (staff)",
    )
    async def post_reject(proposal_id: str, body: DecisionIn, caller: CallerDep) -> dict[str, Any]:
        return proposal_view(await reject(svc, caller, proposal_id, body.reason), caller.viewer)

    return api
