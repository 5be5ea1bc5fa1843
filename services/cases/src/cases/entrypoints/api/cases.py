"""Routes: file, triage, handle and read cases."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from cases.adapters.store import Constituent
from cases.domain.clocks import Clocks
from cases.domain.model import Case
from cases.domain.records import CoOpinion, LeaderDecision
from cases.domain.states import State
from cases.entrypoints.api.deps import CallerDep, keyed
from cases.entrypoints.api.schemas import (
    AcceptIn,
    AnswerIn,
    AssignIn,
    CarryOverIn,
    CaseOut,
    CasePage,
    CommentIn,
    CreatedOut,
    ExtendIn,
    FeedbackIn,
    MergeIn,
    NotAcceptIn,
    OpinionIn,
    ReopenIn,
    ReplyIn,
    ReturnIn,
    SimilarOut,
    Step,
    StepOut,
    SuggestionIn,
)
from cases.entrypoints.api.workflow_schemas import KeyChaseIn
from cases.handlers import handling, intake
from cases.handlers.context import Caller, Services
from cases.views import cases as views
from contracts.vocabulary import CaseKind
from kit.group_commit import GroupCommit
from kit.web.requests import IdempotencyKey, IfMatch, PagingDep, etag, page_body


def router(svc: Services) -> APIRouter:
    """Return the case routes."""
    api = APIRouter(tags=["cases"])

    async def shown(caller: Caller, case_id: str, response: Response) -> dict[str, Any]:
        view, version = await views.read_case(svc, caller, case_id)
        etag(response, version)
        return view

    async def after(caller: Caller, case: Case, response: Response) -> dict[str, Any]:
        return await shown(caller, case.case_id, response)

    # concurrent filings share a transaction (kit.group_commit): numbers, rows, events, audit
    filings: GroupCommit[intake.Filing, intake.Filed] = GroupCommit(
        "filings",
        lambda batch: intake.submit_batch(svc, batch),
        writers=2,  # one prepares while the other holds the counter row to its commit
        metrics=svc.metrics.group_commit if svc.metrics is not None else None,
    )

    async def filed(caller: Caller, draft: intake.Draft, response: Response) -> dict[str, Any]:
        case_id, case = await filings((caller, intake.prepare(svc, caller, draft)))
        if case is None:  # a retried Idempotency-Key: the case as it is now
            return await shown(caller, case_id, response)
        etag(response, case.version)
        clocks = Clocks(svc.calendar, svc.policy)  # receiving sets only the assignment deadline
        return views.case_view(case, caller.principal, draft.constituent, svc.today(), clocks)

    @api.post(
        "/suggestions",
        response_model=CaseOut,
        status_code=status.HTTP_201_CREATED,
        summary="File a suggestion (代表建议)",
    )
    async def file_suggestion(
        body: SuggestionIn, caller: CallerDep, response: Response, key: IdempotencyKey = None
    ) -> dict[str, Any]:
        caller = keyed(caller, key, body)
        draft = intake.Draft(
            kind=CaseKind.suggestion,
            township=body.township,
            title=body.title,
            content=body.content,
            category=body.category,
            deputy_ids=(body.lead_deputy_id, *body.co_deputy_ids),
            confidential=body.confidential,
            level=body.level,
            timing=body.timing,
        )
        return await filed(caller, draft, response)

    @api.post(
        "/opinions",
        response_model=CaseOut,
        status_code=status.HTTP_201_CREATED,
        summary="Record a constituent's opinion (选民意见)",
    )
    async def record_opinion(
        body: OpinionIn, caller: CallerDep, response: Response, key: IdempotencyKey = None
    ) -> dict[str, Any]:
        caller = keyed(caller, key, body)
        person = body.constituent
        draft = intake.Draft(
            kind=CaseKind.opinion,
            township=body.township,
            title=body.title,
            content=body.content,
            category=body.category,
            deputy_ids=tuple(body.receiving_deputy_ids),
            origin=body.origin,
            station_id=body.station_id,
            activity_id=body.activity_id,
            constituent=Constituent(person.name, person.phone, person.address) if person else None,
        )
        return await filed(caller, draft, response)

    @api.get("/cases", response_model=CasePage, summary="List the cases you may see")
    async def list_cases(
        caller: CallerDep,
        paging: PagingDep,
        township: Annotated[str | None, Query(pattern=r"^\d{2,12}$")] = None,
        state: State | None = None,
        kind: CaseKind | None = None,
        category: Annotated[str | None, Query(max_length=100)] = None,
        unit_id: Annotated[str | None, Query(max_length=64)] = None,
        deputy_id: Annotated[str | None, Query(max_length=64)] = None,
        key_chase: bool | None = None,
        overdue: bool | None = None,
        number: Annotated[
            str | None, Query(max_length=80, description="青山县2026年建议第37号")
        ] = None,
    ) -> dict[str, Any]:
        flt = views.CaseFilter(
            township=township,
            state=state,
            kind=kind.value if kind else None,
            category=category,
            unit_id=unit_id,
            deputy_id=deputy_id,
            key_chase=key_chase,
            overdue=overdue,
            number=number,
        )
        return page_body(await views.list_cases(svc, caller, flt, paging.page, paging.page_size))

    @api.get("/cases/{case_id}", response_model=CaseOut, summary="Read a case")
    async def read_case(case_id: str, caller: CallerDep, response: Response) -> dict[str, Any]:
        return await shown(caller, case_id, response)

    @api.get("/cases/{case_id}/timeline", response_model=list[Step], summary="A case's timeline")
    async def timeline(case_id: str, caller: CallerDep) -> list[dict[str, Any]]:
        return await views.read_timeline(svc, caller, case_id)

    @api.get(
        "/cases/{case_id}/similar",
        response_model=list[SimilarOut],
        summary="Open cases of the same township that look like this one",
    )
    async def similar(
        case_id: str, caller: CallerDep, limit: Annotated[int, Query(ge=1, le=50)] = 10
    ) -> list[dict[str, Any]]:
        return await views.similar_cases(svc, caller, case_id, limit)

    @api.post("/cases/{case_id}/answer", response_model=CaseOut, summary="Answered on the spot")
    async def answer(
        case_id: str, body: AnswerIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        case = await intake.answer_on_spot(svc, caller, case_id, version, body.answer)
        return await after(caller, case, response)

    @api.post("/cases/{case_id}/not-accept", response_model=CaseOut, summary="Not accepted")
    async def not_accept(
        case_id: str, body: NotAcceptIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        case = await intake.not_accept(svc, caller, case_id, version, body.reason, body.comment)
        return await after(caller, case, response)

    @api.post("/cases/{case_id}/merge", response_model=CaseOut, summary="Merge into another case")
    async def merge(
        case_id: str, body: MergeIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        case = await intake.merge(svc, caller, case_id, version, body.merged_into, body.comment)
        return await after(caller, case, response)

    @api.post(
        "/cases/{case_id}/to-suggestion",
        response_model=CreatedOut,
        summary="Turn an opinion into a suggestion",
    )
    async def to_suggestion(
        case_id: str, body: CommentIn, version: IfMatch, caller: CallerDep
    ) -> dict[str, Any]:
        opinion, new_id = await intake.to_suggestion(svc, caller, case_id, version, body.comment)
        return {"case_id": opinion.case_id, "suggestion_case_id": new_id}

    @api.post("/cases/{case_id}/accept", response_model=CaseOut, summary="Accept for assignment")
    async def accept(
        case_id: str, body: AcceptIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        case = await intake.accept(svc, caller, case_id, version, body.complex, body.comment)
        return await after(caller, case, response)

    @api.post("/cases/{case_id}/assign", response_model=CaseOut, summary="Assign (交办)")
    async def assign(
        case_id: str, body: AssignIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        case = await handling.assign(
            svc, caller, case_id, version, body.lead_unit_id, body.co_unit_ids, body.comment
        )
        return await after(caller, case, response)

    @api.post(
        "/cases/{case_id}/return",
        response_model=StepOut,
        summary="Return (退办); the unit no longer sees the case",
    )
    async def return_case(
        case_id: str, body: ReturnIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        case = await handling.return_(svc, caller, case_id, version, body.unit_id, body.reason)
        etag(response, case.version)
        return {"case_id": case.case_id, "state": case.state.value, "version": case.version}

    @api.post("/cases/{case_id}/extend", response_model=CaseOut, summary="Grant the extension")
    async def extend(
        case_id: str, body: ExtendIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        case = await handling.extend(svc, caller, case_id, version, body.due_on, body.reason)
        return await after(caller, case, response)

    @api.post("/cases/{case_id}/key-chase", response_model=CaseOut, summary="Designate key chasing")
    async def key_chase(
        case_id: str, body: KeyChaseIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        d = body.decision  # county staff recording a leader's decision on their behalf
        decision = LeaderDecision(d.leader, d.meeting_ref, d.decided_on, "") if d else None
        case = await handling.designate_key_chase(
            svc, caller, case_id, version, body.comment, decision
        )
        return await after(caller, case, response)

    @api.post("/cases/{case_id}/reply", response_model=CaseOut, summary="Reply (答复)")
    async def reply(
        case_id: str, body: ReplyIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        case = await handling.reply(
            svc,
            caller,
            case_id,
            version,
            unit_id=body.unit_id,
            reply_class=body.reply_class,
            text=body.text,
            co_opinions=[CoOpinion(o.unit_id, o.text) for o in body.co_opinions],
            follow_up_due_on=body.follow_up_due_on,
        )
        return await after(caller, case, response)

    @api.post("/cases/{case_id}/feedback", response_model=CaseOut, summary="Rate the handling")
    async def feedback(
        case_id: str, body: FeedbackIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        case = await handling.give_feedback(
            svc, caller, case_id, version, body.process, body.result, body.comment
        )
        return await after(caller, case, response)

    @api.post("/cases/{case_id}/resolve", response_model=CaseOut, summary="Follow-up solved")
    async def resolve(
        case_id: str, body: CommentIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        case = await handling.resolve(svc, caller, case_id, version, body.comment)
        return await after(caller, case, response)

    @api.post("/cases/{case_id}/carry-over", response_model=CaseOut, summary="Carry into next year")
    async def carry_over(
        case_id: str, body: CarryOverIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        case = await handling.carry_over(svc, caller, case_id, version, body.into_year)
        return await after(caller, case, response)

    @api.post("/cases/{case_id}/reopen", response_model=CaseOut, summary="Handle again")
    async def reopen(
        case_id: str, body: ReopenIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        case = await handling.reopen(svc, caller, case_id, version, body.reason, body.comment)
        return await after(caller, case, response)

    return api
