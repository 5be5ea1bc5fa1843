"""Routes: rule sets (draft from YAML, preview against the active one, activate)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from scoring.entrypoints.api import views
from scoring.entrypoints.api.deps import CallerDep
from scoring.entrypoints.api.schemas import (
    ActivatedOut,
    ComparisonOut,
    EntryChangeOut,
    PreviewOut,
    RuleSetDocumentOut,
    RuleSetIn,
    RuleSetOut,
)
from scoring.handlers import rulesets as handlers
from scoring.handlers.context import Services

County = Annotated[str, Query(pattern=r"^\d{6}$")]
YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]


def router(svc: Services) -> APIRouter:
    """Return the rule set routes."""
    api = APIRouter(prefix="/rule-sets", tags=["rule sets"])

    @api.get("", response_model=list[RuleSetOut], summary="Rule sets of a county")
    async def list_rule_sets(
        caller: CallerDep, county: County, year: YearQuery = None
    ) -> list[dict[str, Any]]:
        rows = await handlers.list_rule_sets(svc, caller, county, year)
        return [views.rule_set(r) for r in rows]

    @api.post(
        "",
        response_model=RuleSetDocumentOut,
        status_code=status.HTTP_201_CREATED,
        summary="Store a YAML document as the next draft (422 names the path inside it)",
    )
    async def create_rule_set(body: RuleSetIn, caller: CallerDep) -> dict[str, Any]:
        row = await handlers.create_draft(svc, caller, body.county, body.document)
        return row.__dict__

    @api.get(
        "/{county}/{year}/{version}",
        response_model=RuleSetDocumentOut,
        summary="Read a rule set version with its document",
    )
    async def read_rule_set(
        county: str, year: int, version: int, caller: CallerDep
    ) -> dict[str, Any]:
        return (await handlers.read_rule_set(svc, caller, county, year, version)).__dict__

    @api.get(
        "/{county}/{year}/{version}/preview",
        response_model=PreviewOut,
        summary="What activating a draft would change, for every deputy",
    )
    async def preview_rule_set(
        county: str, year: int, version: int, caller: CallerDep
    ) -> PreviewOut:
        found = await handlers.preview_draft(svc, caller, county, year, version)
        changes = [
            EntryChangeOut(
                entry_id=c.entry_id,
                deputy_id=(c.now or c.draft).deputy_id,  # type: ignore[union-attr]
                rule_id=(c.now or c.draft).rule_id,  # type: ignore[union-attr]
                points_now=None if c.now is None else c.now.points,
                points_draft=None if c.draft is None else c.draft.points,
            )
            for c in found.preview.changes
        ]
        deputies = [
            ComparisonOut(
                deputy_id=d.deputy_id,
                total_now=d.total_now,
                total_draft=d.total_draft,
                grade_now=d.grade_now.value,
                grade_draft=d.grade_draft.value,
                changed=d.changed,
            )
            for d in found.preview.deputies
        ]
        return PreviewOut(
            active_version=found.active.version,
            draft_version=found.draft.version,
            changes=changes,
            deputies=deputies,
        )

    @api.post(
        "/{county}/{year}/{version}/activate",
        response_model=ActivatedOut,
        summary="Activate a draft: re-derive the year's ledger and publish the differences",
    )
    async def activate_rule_set(
        county: str, year: int, version: int, caller: CallerDep
    ) -> dict[str, Any]:
        row, changed = await handlers.activate(svc, caller, county, year, version)
        return {**views.rule_set(row), "entries_changed": changed}

    return api
