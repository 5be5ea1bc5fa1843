"""Routes: the caller's inbox and preferences, the delivery log, resend, preview, contacts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status

from contracts.vocabulary import RecipientKind
from kit.web.requests import IfMatchLater, PagingDep, etag
from notify.domain.model import Channel, RecipientRef
from notify.entrypoints.api.deps import CallerDep
from notify.entrypoints.api.schemas import (
    ContactsIn,
    DeliveryOut,
    InboxOut,
    PreferencesBody,
    PreviewIn,
    PreviewOut,
)
from notify.handlers import api as use
from notify.handlers.context import Services

RecipientId = Annotated[str, Path(min_length=1, max_length=64)]


def router(svc: Services) -> APIRouter:
    """Return the notify routes."""
    api = APIRouter(tags=["notify"])

    @api.get("/inbox", response_model=InboxOut, summary="Your in-app inbox, newest first")
    async def get_inbox(caller: CallerDep, paging: PagingDep) -> Any:
        return await use.inbox(svc, caller, paging.page_size, paging.offset)

    @api.post(
        "/inbox/{item_id}/read",
        status_code=status.HTTP_204_NO_CONTENT,
        summary="Mark one of your inbox messages read",
    )
    async def read_item(
        item_id: Annotated[str, Path(min_length=1, max_length=36)], caller: CallerDep
    ) -> None:
        await use.mark_read(svc, caller, item_id)

    @api.get(
        "/preferences",
        response_model=PreferencesBody,
        summary="Your notification preferences (ETag: their version)",
    )
    async def get_preferences(caller: CallerDep, response: Response) -> Any:
        doc, version = await use.preferences(svc, caller)
        etag(response, version)
        return doc

    @api.put(
        "/preferences",
        response_model=PreferencesBody,
        summary='Replace your preferences (If-Match: the version read; "0" before the first)',
    )
    async def put_preferences(
        body: PreferencesBody, caller: CallerDep, precondition: IfMatchLater, response: Response
    ) -> Any:
        version = await use.change_preferences(
            svc, caller, body.model_dump(mode="json"), precondition.required()
        )
        doc, version = await use.preferences(svc, caller)
        etag(response, version)
        return doc

    @api.get(
        "/recipients/{kind}/{recipient_id}/deliveries",
        response_model=list[DeliveryOut],
        summary="A recipient's delivery log (the recipient, staff and operators of the area)",
    )
    async def get_log(
        kind: RecipientKind, recipient_id: RecipientId, caller: CallerDep, paging: PagingDep
    ) -> Any:
        ref = RecipientRef(kind, recipient_id)
        return await use.delivery_log(svc, caller, ref, paging.page_size, paging.offset)

    @api.get(
        "/deliveries",
        response_model=list[DeliveryOut],
        summary="Deliveries about a subject (a case id), in your area (staff, operators)",
    )
    async def get_subject_log(
        subject: Annotated[str, Query(min_length=1, max_length=64)],
        caller: CallerDep,
        paging: PagingDep,
    ) -> Any:
        return await use.subject_log(svc, caller, subject, paging.page_size, paging.offset)

    @api.post(
        "/deliveries/{delivery_id}/resend",
        response_model=DeliveryOut,
        summary="Send a failed delivery again (county staff, operators)",
    )
    async def post_resend(
        delivery_id: Annotated[str, Path(min_length=1, max_length=36)], caller: CallerDep
    ) -> Any:
        return await use.resend(svc, caller, delivery_id)

    @api.post(
        "/templates/{template}/preview",
        response_model=PreviewOut,
        summary="Render a template for a channel with sample or given event data (county staff)",
    )
    async def post_preview(
        template: Annotated[str, Path(min_length=1, max_length=100)],
        body: PreviewIn,
        caller: CallerDep,
    ) -> Any:
        made = use.preview(svc, caller, template, body.channel, body.data)
        return {
            "channel": made.channel,
            "title": made.title,
            "body": made.body,
            "segments": made.segments,
        }

    @api.put(
        "/recipients/{kind}/{recipient_id}/contacts",
        response_model=dict[str, str],
        summary="Set a recipient's addresses (county staff); answered masked",
    )
    async def put_contacts(
        kind: RecipientKind, recipient_id: RecipientId, body: ContactsIn, caller: CallerDep
    ) -> Any:
        given = body.model_dump(exclude_unset=True)
        addresses = {Channel(k): v for k, v in given.items()}
        return await use.set_contacts(svc, caller, RecipientRef(kind, recipient_id), addresses)

    return api
