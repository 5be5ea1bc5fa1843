"""Routes: 亮分 publications, contest resolutions, the 履职档案, grade proposals and decisions."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from kit.web.requests import IfMatch, etag
from scoring.entrypoints.api.deps import CallerDep
from scoring.entrypoints.api.schemas import (
    ContestOut,
    DecisionIn,
    DecisionOut,
    DossierOut,
    MinimumMetOut,
    ProposalOut,
    PublicationOut,
    PublishIn,
    ResolveIn,
    ReviewedOut,
)
from scoring.entrypoints.api.views import NOTE
from scoring.handlers import dossier as dossiers, points, publications
from scoring.handlers.context import Services

YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]
Scope = Annotated[str, Query(pattern=r"^\d{6}(\d{3})?$", description="County or township code")]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def router(svc: Services) -> APIRouter:
    """Return the publication, contest, dossier and proposal routes."""
    api = APIRouter(tags=["publication and review"])

    def year_or_now(year: int | None) -> int:
        return year if year is not None else svc.today().year

    @api.post(
        "/publications",
        response_model=list[PublicationOut],
        status_code=status.HTTP_201_CREATED,
        summary="亮分: publish a period for a township or the county (409 while entries await review)",
    )
    async def publish(body: PublishIn, caller: CallerDep) -> list[PublicationOut]:
        found = await publications.publish(svc, caller, body.scope, body.year, body.period)
        return [PublicationOut.model_validate(asdict(p)) for p in found]

    @api.get(
        "/publications",
        response_model=list[PublicationOut],
        summary="Published periods of a scope (deputies: their own township's)",
    )
    async def published(
        scope: Scope,
        caller: CallerDep,
        year: YearQuery = None,
        period: Annotated[str | None, Query(max_length=10)] = None,
    ) -> list[PublicationOut]:
        found = await publications.published(svc, caller, scope, year_or_now(year), period)
        return [PublicationOut.model_validate(asdict(p)) for p in found]

    @api.post(
        "/entries/{entry_id}/resolve",
        response_model=ReviewedOut,
        summary="Resolve a contested entry (upheld / corrected / rejected), explained to the deputy",
    )
    async def resolve(
        entry_id: str, body: ResolveIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> ReviewedOut:
        done = await points.resolve_contest(
            svc, caller, entry_id, version, body.outcome, body.explanation
        )
        etag(response, done.version)
        return ReviewedOut(entry_id=done.entry_id, status=done.status, version=done.version)

    @api.get(
        "/deputies/{deputy_id}/contests",
        response_model=list[ContestOut],
        summary="A deputy's contests with the resolutions and their explanations",
    )
    async def contests(deputy_id: str, caller: CallerDep) -> list[ContestOut]:
        rows = await points.deputy_contests(svc, caller, deputy_id)
        return [ContestOut.model_validate(r, from_attributes=True) for r in rows]

    @api.get(
        "/deputies/{deputy_id}/dossier",
        response_model=DossierOut,
        summary="履职档案: a deputy's year on the record (audited export)",
    )
    async def dossier(deputy_id: str, caller: CallerDep, year: YearQuery = None) -> DossierOut:
        found = await dossiers.deputy_dossier(svc, caller, deputy_id, year_or_now(year), "json")
        body = asdict(found)
        body["minimums"] = [MinimumMetOut(label=label, met=met) for label, met in found.minimums]
        return DossierOut.model_validate({**body, "note": NOTE})

    @api.get(
        "/deputies/{deputy_id}/dossier.docx",
        response_class=Response,
        responses={200: {"content": {DOCX: {}}}},
        summary="履职档案 as a Word document, A4 (audited export)",
    )
    async def dossier_docx(deputy_id: str, caller: CallerDep, year: YearQuery = None) -> Response:
        y = year_or_now(year)
        found = await dossiers.deputy_dossier(svc, caller, deputy_id, y, "docx")
        return Response(
            content=dossiers.docx(found),
            media_type=DOCX,
            headers={"Content-Disposition": f'attachment; filename="dossier-{deputy_id}-{y}.docx"'},
        )

    @api.get(
        "/proposals",
        response_model=list[ProposalOut],
        summary="What each grade proposes (评优, 推荐连任, 约谈), for a person to decide",
    )
    async def proposals(
        scope: Scope, caller: CallerDep, year: YearQuery = None
    ) -> list[ProposalOut]:
        found = await dossiers.proposals(svc, caller, scope, year_or_now(year))
        return [ProposalOut.model_validate(p) for p in found]

    @api.post(
        "/deputies/{deputy_id}/decisions",
        response_model=DecisionOut,
        status_code=status.HTTP_201_CREATED,
        summary="A person records the decision on a proposal (nothing is decided automatically)",
    )
    async def decide(deputy_id: str, body: DecisionIn, caller: CallerDep) -> DecisionOut:
        done = await dossiers.decide(
            svc, caller, deputy_id, body.year, body.proposal, body.decision, body.note
        )
        return DecisionOut.model_validate(asdict(done))

    return api
