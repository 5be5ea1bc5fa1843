"""Routes: the township work assessment (镇街人大工作考核) and its ranking."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from scoring.entrypoints.api import views
from scoring.entrypoints.api.deps import CallerDep
from scoring.entrypoints.api.schemas import (
    AssessmentOut,
    AssessmentRulesIn,
    PublishedAssessmentsOut,
    RuleSetDocumentOut,
    RuleSetOut,
)
from scoring.handlers import assessments as handlers
from scoring.handlers.context import Services

YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]
County = Annotated[str, Query(pattern=r"^\d{6}$")]
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

    @api.get(
        "/assessment-rules",
        response_model=list[RuleSetOut],
        summary="A county's township assessment rule versions (none stored: the seed applies)",
    )
    async def list_rules(
        caller: CallerDep, county: County, year: YearQuery = None
    ) -> list[dict[str, Any]]:
        return [views.rule_set(r) for r in await handlers.list_rules(svc, caller, county, year)]

    @api.post(
        "/assessment-rules",
        response_model=RuleSetDocumentOut,
        status_code=status.HTTP_201_CREATED,
        summary="Store an assessment document as the next draft (422 names the path inside it)",
    )
    async def create_rules(body: AssessmentRulesIn, caller: CallerDep) -> dict[str, Any]:
        return (await handlers.create_draft(svc, caller, body.county, body.document)).__dict__

    @api.get(
        "/assessment-rules/{county}/{year}/{version}",
        response_model=RuleSetDocumentOut,
        summary="Read an assessment rule version with its document",
    )
    async def read_rules(county: str, year: int, version: int, caller: CallerDep) -> dict[str, Any]:
        return (await handlers.read_rules(svc, caller, county, year, version)).__dict__

    @api.post(
        "/assessment-rules/{county}/{year}/{version}/activate",
        response_model=RuleSetOut,
        summary="Make a draft the county's assessment rules of its year",
    )
    async def activate_rules(
        county: str, year: int, version: int, caller: CallerDep
    ) -> dict[str, Any]:
        return views.rule_set(await handlers.activate(svc, caller, county, year, version))

    @api.post(
        "/assessments/{county}/{year}/publish",
        response_model=list[AssessmentOut],
        status_code=status.HTTP_201_CREATED,
        summary="Publish the county's township assessments of a year (stored, an event each)",
    )
    async def publish(county: str, year: int, caller: CallerDep) -> list[AssessmentOut]:
        return [views.assessment(a) for a in await handlers.publish(svc, caller, county, year)]

    @api.get(
        "/assessment-publications",
        response_model=PublishedAssessmentsOut,
        summary="The published assessment of a year, as stored, for the townships of a scope",
    )
    async def published(scope: Scope, caller: CallerDep, year: YearQuery = None) -> dict[str, Any]:
        return await handlers.published_assessments(svc, caller, scope, year_or_now(year))

    return api
