"""Routes: a deputy's ledger and score card, review actions, leaderboards."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from kit.web.requests import IfMatch, etag
from scoring.domain.reviews import Action, Status
from scoring.entrypoints.api import views
from scoring.entrypoints.api.deps import CallerDep
from scoring.entrypoints.api.schemas import (
    CardOut,
    EntryOut,
    ReviewedOut,
    ReviewIn,
    ReviewOut,
    StandingOut,
)
from scoring.handlers import points as handlers
from scoring.handlers.context import Services

YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]
Scope = Annotated[str, Query(pattern=r"^\d{6}(\d{3})?$", description="County or township code")]


def router(svc: Services) -> APIRouter:
    """Return the ledger, card, review and leaderboard routes."""
    api = APIRouter(tags=["points"])

    def year_or_now(year: int | None) -> int:
        return year if year is not None else svc.today().year

    @api.get(
        "/deputies/{deputy_id}/ledger",
        response_model=list[EntryOut],
        summary="A deputy's ledger lines of a year",
    )
    async def deputy_ledger(
        deputy_id: str,
        caller: CallerDep,
        year: YearQuery = None,
        status: Status | None = None,
        rule_id: Annotated[str | None, Query(max_length=80)] = None,
        category: Annotated[str | None, Query(max_length=20)] = None,
        period: Annotated[str | None, Query(max_length=10)] = None,
    ) -> list[EntryOut]:
        only = handlers.LedgerFilter(
            status=None if status is None else status.value,
            rule_id=rule_id,
            category=category,
            period=period,
        )
        _, rows = await handlers.deputy_ledger(svc, caller, deputy_id, year_or_now(year), only)
        return [views.entry_row(r) for r in rows]

    @api.get(
        "/deputies/{deputy_id}/score-card",
        response_model=CardOut,
        summary="A deputy's score card: every number with its ledger lines",
    )
    async def score_card(deputy_id: str, caller: CallerDep, year: YearQuery = None) -> CardOut:
        return views.card(await handlers.deputy_card(svc, caller, deputy_id, year_or_now(year)))

    @api.get(
        "/entries/{entry_id}/reviews",
        response_model=list[ReviewOut],
        summary="An entry's review history",
    )
    async def reviews(entry_id: str, caller: CallerDep) -> list[ReviewOut]:
        rows = await handlers.entry_reviews(svc, caller, entry_id)
        return [ReviewOut.model_validate(r, from_attributes=True) for r in rows]

    def review_route(action: Action, path: str, summary: str) -> None:
        async def act(
            entry_id: str, body: ReviewIn, version: IfMatch, caller: CallerDep, response: Response
        ) -> ReviewedOut:
            done = await handlers.review(svc, caller, entry_id, version, action, body.reason)
            etag(response, done.version)
            return ReviewedOut(entry_id=done.entry_id, status=done.status, version=done.version)

        act.__name__ = action.value
        api.post(f"/entries/{{entry_id}}/{path}", response_model=ReviewedOut, summary=summary)(act)

    review_route(Action.first_review, "first-review", "初审: township staff approve an entry")
    review_route(Action.recheck, "recheck", "复核: the county approves a first-reviewed entry")
    review_route(Action.contest, "contest", "错重漏: the entry's deputy contests it, with a reason")
    review_route(Action.void, "void", "The county voids an entry, with a reason")

    @api.get(
        "/leaderboard",
        response_model=list[StandingOut],
        summary="Deputies ranked: live for staff and county roles, the latest 亮分 for deputies",
    )
    async def leaderboard(
        scope: Scope, caller: CallerDep, year: YearQuery = None
    ) -> list[StandingOut]:
        board = await handlers.leaderboard(svc, caller, scope, year_or_now(year))
        return [StandingOut.model_validate(s, from_attributes=True) for s in board]

    return api
