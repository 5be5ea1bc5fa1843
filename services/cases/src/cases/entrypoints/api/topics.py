"""Routes: supervision topics (监督议题)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from cases.adapters.codec import to_doc
from cases.domain import topics as domain
from cases.domain.topics import Topic, Vote
from cases.entrypoints.api.deps import CallerDep, keyed
from cases.entrypoints.api.oversight_schemas import (
    FollowUpIn,
    MeasureIn,
    ReportIn,
    TopicIn,
    TopicOut,
    VoteIn,
    WithdrawIn,
)
from cases.handlers import topics as handlers
from cases.handlers.context import Services
from kit.web.requests import IdempotencyKey, IfMatch, etag


def topic_view(topic: Topic) -> dict[str, Any]:
    """Return a topic with its progress and the actions possible next."""
    doc = to_doc(topic)
    doc["measures"] = [{**to_doc(m), "percent": m.percent} for m in topic.measures]
    doc["progress"] = topic.progress
    doc["rectified"] = topic.rectified
    doc["allowed_actions"] = list(domain.allowed_actions(topic))
    return doc


def _draft(body: MeasureIn) -> handlers.MeasureDraft:
    return handlers.MeasureDraft(body.description, body.owner_unit_id, body.due_on, body.weight)


def router(svc: Services) -> APIRouter:
    """Return the topic routes."""
    api = APIRouter(prefix="/topics", tags=["supervision topics"])

    def shown(topic: Topic, response: Response) -> dict[str, Any]:
        etag(response, topic.version)
        return topic_view(topic)

    @api.post(
        "",
        response_model=TopicOut,
        status_code=status.HTTP_201_CREATED,
        summary="Open a supervision topic",
    )
    async def open_topic(
        body: TopicIn, caller: CallerDep, response: Response, key: IdempotencyKey = None
    ) -> dict[str, Any]:
        caller = keyed(caller, key, body)
        draft = handlers.TopicDraft(
            township=body.township,
            title=body.title,
            origin=body.origin,
            year=body.year,
            case_ids=tuple(body.case_ids),
            problems=tuple(body.problems),
            measures=tuple(_draft(m) for m in body.measures),
        )
        topic_id = await handlers.open_topic(svc, caller, draft)
        return shown(await handlers.read_topic(svc, caller, topic_id), response)

    @api.get("", response_model=list[TopicOut], summary="Supervision topics of your scope")
    async def list_topics(
        caller: CallerDep,
        township: Annotated[str | None, Query(pattern=r"^\d{2,12}$")] = None,
        year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    ) -> list[dict[str, Any]]:
        return [topic_view(t) for t in await handlers.list_topics(svc, caller, township, year)]

    @api.get("/{topic_id}", response_model=TopicOut, summary="Read a supervision topic")
    async def read_topic(topic_id: str, caller: CallerDep, response: Response) -> dict[str, Any]:
        return shown(await handlers.read_topic(svc, caller, topic_id), response)

    @api.post("/{topic_id}/measures", response_model=TopicOut, summary="Add a measure")
    async def add_measure(
        topic_id: str, body: MeasureIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        topic = await handlers.add_measure(svc, caller, topic_id, version, _draft(body))
        return shown(topic, response)

    @api.post(
        "/{topic_id}/measures/{measure_id}/withdraw",
        response_model=TopicOut,
        summary="Withdraw a mistaken measure, with the reason",
    )
    async def withdraw_measure(
        topic_id: str,
        measure_id: str,
        body: WithdrawIn,
        version: IfMatch,
        caller: CallerDep,
        response: Response,
    ) -> dict[str, Any]:
        topic = await handlers.withdraw_measure(
            svc, caller, topic_id, version, measure_id, body.reason
        )
        return shown(topic, response)

    @api.post("/{topic_id}/followups", response_model=TopicOut, summary="Log a follow-up")
    async def log_followup(
        topic_id: str, body: FollowUpIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        topic = await handlers.log_followup(
            svc,
            caller,
            topic_id,
            version,
            note=body.note,
            measure_id=body.measure_id,
            status=body.status,
            progress=body.progress,
        )
        return shown(topic, response)

    @api.post("/{topic_id}/report", response_model=TopicOut, summary="Submit the report")
    async def submit_report(
        topic_id: str, body: ReportIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        topic = await handlers.submit_report(svc, caller, topic_id, version, body.text)
        return shown(topic, response)

    @api.post("/{topic_id}/votes", response_model=TopicOut, summary="Record the vote")
    async def record_vote(
        topic_id: str, body: VoteIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        vote = Vote(body.satisfied, body.basically_satisfied, body.unsatisfied, body.held_on)
        topic = await handlers.record_vote(svc, caller, topic_id, version, vote)
        return shown(topic, response)

    @api.post("/{topic_id}/close", response_model=TopicOut, summary="Close the topic")
    async def close_topic(
        topic_id: str, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        return shown(await handlers.close_topic(svc, caller, topic_id, version), response)

    return api
