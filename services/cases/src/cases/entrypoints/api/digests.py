"""Routes: the 人大代表之声 digest, its documents and leaders' instructions, and statistics."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response, status
from sqlalchemy import select

from cases.domain.access import OVERSIGHT
from cases.domain.errors import ForbiddenError
from cases.domain.statistics import Tally, overall, tally
from cases.entrypoints.api.deps import CallerDep, PeriodQuery
from cases.entrypoints.api.oversight_schemas import (
    DigestIn,
    DigestOut,
    InstructionIn,
    InstructionOut,
    StatisticsOut,
)
from cases.handlers import digests as handlers, exports
from cases.handlers.context import Services

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def tally_view(t: Tally) -> dict[str, Any]:
    """Return a tally with its rates."""
    return {
        "key": t.key,
        "total": t.total,
        "by_state": dict(t.by_state),
        "replied": t.replied,
        "on_time": t.on_time,
        "solved": t.solved,
        "class_a": t.class_a,
        "with_feedback": t.with_feedback,
        "satisfied": t.satisfied,
        "overdue": t.overdue,
        "on_time_rate": t.on_time_rate,
        "solved_rate": t.solved_rate,
        "class_a_share": t.class_a_share,
        "satisfaction_rate": t.satisfaction_rate,
        "solved_rate_of_all": t.solved_rate_of_all,
        "rates": [
            {
                "name": r.name,
                "value": r.value,
                "numerator": r.numerator,
                "denominator": r.denominator,
                "of": r.of,
            }
            for r in t.rates()
        ],
    }


def router(svc: Services) -> APIRouter:
    """Return the digest and statistics routes."""
    api = APIRouter(tags=["digest and statistics"])

    async def stored(caller: CallerDep, digest_id: str) -> Any:
        async with svc.uow() as uow:
            row = await handlers.digest_row(svc, uow, digest_id)
        handlers.require_digest_reader(caller.principal, row.scope)
        return row

    @api.post(
        "/digests",
        response_model=DigestOut,
        status_code=status.HTTP_201_CREATED,
        summary="Publish a 人大代表之声 digest for a period",
    )
    async def publish(body: DigestIn, caller: CallerDep) -> Any:
        request = handlers.DigestRequest(body.scope, body.period_start, body.period_end, body.title)
        digest_id = await handlers.publish_digest(svc, caller, request)
        return await stored(caller, digest_id)

    @api.get("/digests", response_model=list[DigestOut], summary="Digests of your area")
    async def list_digests(caller: CallerDep) -> Any:
        p = caller.principal
        if not p.has(*OVERSIGHT):
            raise ForbiddenError("the digest is addressed to the county's leaders")
        t = svc.tables.digests
        async with svc.uow() as uow:
            rows = await uow.session.execute(
                select(t).order_by(t.c.period_end.desc(), t.c.published_at.desc())
            )
            return [r for r in rows.all() if p.covers(r.scope)]

    @api.get("/digests/{digest_id}", response_model=DigestOut, summary="Read a digest")
    async def read_digest(digest_id: str, caller: CallerDep) -> Any:
        return await stored(caller, digest_id)

    @api.get(
        "/digests/{digest_id}/markdown",
        response_class=Response,
        responses={200: {"content": {"text/markdown": {}}}},
        summary="The digest as Markdown",
    )
    async def markdown(digest_id: str, caller: CallerDep) -> Response:
        row = await stored(caller, digest_id)
        return Response(row.markdown, media_type="text/markdown; charset=utf-8")

    @api.get(
        "/digests/{digest_id}/docx",
        response_class=Response,
        responses={200: {"content": {DOCX: {}}}},
        summary="The digest as a Word document",
    )
    async def docx(digest_id: str, caller: CallerDep) -> Response:
        row = await stored(caller, digest_id)
        return Response(
            bytes(row.docx),
            media_type=DOCX,
            headers={"Content-Disposition": f'attachment; filename="digest-{digest_id}.docx"'},
        )

    @api.post(
        "/digests/{digest_id}/instructions",
        response_model=InstructionOut,
        status_code=status.HTTP_201_CREATED,
        summary="Record a leader's instruction (批示) and turn it into follow-up work",
    )
    async def instruct(digest_id: str, body: InstructionIn, caller: CallerDep) -> Any:
        instruction = handlers.Instruction(body.leader, body.text, body.case_id)
        return await handlers.record_instruction(svc, caller, digest_id, instruction)

    @api.get("/digests/{digest_id}/instructions", summary="Instructions on a digest")
    async def instructions(digest_id: str, caller: CallerDep) -> list[dict[str, Any]]:
        return await handlers.instructions_of(svc, caller, digest_id)

    @api.get("/statistics", response_model=StatisticsOut, summary="Counts and rates")
    async def statistics(
        caller: CallerDep,
        period: PeriodQuery,
        by: Literal["township", "unit", "category"] = "township",
    ) -> dict[str, Any]:
        area, facts = await exports.period_facts(svc, caller, period)
        today = svc.today()
        return {
            "scope": area,
            "period_start": period.start,
            "period_end": period.end,
            "by": by,
            "kind": period.kind,
            "overall": tally_view(overall(facts, today)),
            "groups": [tally_view(t) for t in tally(facts, by=by, today=today)],
        }

    return api
