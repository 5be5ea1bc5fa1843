"""Routes: the township work assessment (镇街人大工作考核) and its ranking."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from scoring.entrypoints.api import views
from scoring.entrypoints.api.deps import CallerDep
from scoring.entrypoints.api.schemas import AssessmentOut
from scoring.handlers import assessments as handlers
from scoring.handlers.context import Services

YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]
Scope = Annotated[str, Query(pattern=r"^\d{6}(\d{3})?$", description="County or township code")]


def router(svc: Services) -> APIRouter:
    """Return the assessment routes."""
    api = APIRouter(tags=["township assessment"])

    def year_or_now(year: int | None) -> int:
        return year if year is not None else svc.today().year

    @api.get(
        "/assessments",
        response_model=list[AssessmentOut],
        summary="Townships of a scope assessed for a year, in county rank order",
    )
    async def assessments(
        scope: Scope, caller: CallerDep, year: YearQuery = None
    ) -> list[AssessmentOut]:
        found = await handlers.county_assessments(svc, caller, scope, year_or_now(year))
        return [views.assessment(a) for a in found]

    @api.get(
        "/townships/{township}/assessment",
        response_model=AssessmentOut,
        summary="One township's assessment with its evidence and rank",
    )
    async def township_assessment(
        township: str, caller: CallerDep, year: YearQuery = None
    ) -> AssessmentOut:
        found = await handlers.township_assessment(svc, caller, township, year_or_now(year))
        return views.assessment(found)

    return api
