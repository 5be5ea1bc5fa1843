"""The API's use cases: inbox, preferences, delivery log, resend, template preview, contacts.

Each checks who calls first (authorisation: role and township scope), then the input, then the
precondition; refusals raise the kit's domain errors (403, 404, 409, 422, 428), which the kit
records. Contacts are restricted data: every read masks them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from contracts.catalog import CATALOG
from contracts.common import EventData
from kit.audit import change_detail
from kit.errors import (
    FieldError,
    ForbiddenError,
    InputError,
    NotFoundError,
    TransitionError,
    VersionConflictError,
    invalid,
)
from kit.masking import mask_email, mask_phone
from kit.principal import Principal, Role
from notify.adapters.codec import document, preferences_from
from notify.domain.directory import HIDDEN, audited_contacts, check_contacts
from notify.domain.model import Channel, RecipientRef
from notify.domain.preferences import Preferences, check_preferences
from notify.handlers.context import Caller, Services
from notify.templates.render import Rendered, RenderError, context
from notify.templates.samples import typical

LOG_READERS = frozenset({Role.county_admin, Role.township_staff, Role.operator})
"""Roles that read the delivery log of the recipients in their scope."""

RESENDERS = frozenset({Role.county_admin, Role.operator})
"""Roles that put a failed delivery back in the queue."""


def _item(row: Any) -> dict[str, Any]:
    return {
        "item_id": row.item_id,
        "event_type": row.event_type,
        "subject": row.subject,
        "title": row.title,
        "body": row.body,
        "created_at": row.created_at,
        "read": row.read_at is not None,
    }


def delivery_view(row: Any) -> dict[str, Any]:
    """Return a delivery as the log shows it (no address: the rows hold none)."""
    return {
        "delivery_id": row.delivery_id,
        "event_id": row.event_id,
        "event_type": row.event_type,
        "subject": row.subject,
        "recipient_kind": row.recipient_kind,
        "recipient_id": row.recipient_id,
        "channel": row.channel,
        "township": row.township,
        "template": row.template,
        "status": row.status,
        "held": row.held,
        "attempts": row.attempts,
        "next_at": row.next_at,
        "last_error": row.last_error,
        "error_kind": row.error_kind,
        "created_at": row.created_at,
        "finished_at": row.finished_at,
        "title": row.title,
    }


async def inbox(svc: Services, caller: Caller, limit: int, offset: int) -> dict[str, Any]:
    """Return the caller's own inbox, newest first, with the unread count."""
    async with svc.uow() as uow:
        items, unread = await svc.store(uow).inbox(caller.recipient, limit, offset)
    return {"items": [_item(r) for r in items], "unread": unread}


async def mark_read(svc: Services, caller: Caller, item_id: str) -> None:
    """Mark one of the caller's own inbox items read (another's is not found)."""
    async with svc.uow() as uow:
        if await svc.store(uow).mark_read(caller.recipient, item_id, svc.now()) is None:
            raise NotFoundError(f"inbox item {item_id} is not in your inbox")
        await uow.commit()


async def preferences(svc: Services, caller: Caller) -> tuple[dict[str, Any], int]:
    """Return the caller's preferences (the defaults when never set) and their version."""
    async with svc.uow() as uow:
        row = await svc.store(uow).preferences_row(caller.recipient)
    if row is None:
        return document(Preferences()), 0
    return document(preferences_from(row.document)), int(row.version)


def _checked(doc: Mapping[str, Any]) -> Preferences:
    try:
        prefs = preferences_from(doc)
    except ValueError as error:
        raise invalid(("quiet",), str(error)) from error  # times are checked by the schema
    problems = check_preferences(prefs, set(CATALOG))
    if problems:
        raise InputError([FieldError(p.loc, p.msg) for p in problems])
    return prefs


async def change_preferences(
    svc: Services, caller: Caller, doc: Mapping[str, Any], expected: int
) -> int:
    """Replace the caller's preferences if they are still at ``expected``; return the version."""
    prefs = _checked(doc)
    async with svc.uow() as uow:
        version = await svc.store(uow).save_preferences(caller.recipient, document(prefs), expected)
        if version is None:
            raise VersionConflictError("the preferences changed since you read them")
        await svc.audit.record(
            uow.session,
            actor=caller.principal,
            action="change_preferences",
            resource_type="preferences",
            resource_id=str(caller.recipient),
        )
        await uow.commit()
    return version


def _may_read_log(p: Principal, township: str) -> bool:
    return p.has(*LOG_READERS) and p.covers(township)


async def delivery_log(
    svc: Services, caller: Caller, ref: RecipientRef, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Return a recipient's deliveries: to the recipient, and to staff whose scope covers them."""
    async with svc.uow() as uow:
        store = svc.store(uow)
        if caller.recipient != ref:
            if not caller.principal.has(*LOG_READERS):
                raise ForbiddenError("the delivery log is read by staff and operators")
            township = await store.township_of(ref)
            if township is None:
                raise NotFoundError(f"{ref} is not in the directory")
            if not caller.principal.covers(township):
                raise ForbiddenError("this recipient is outside your area", township=township)
        rows = await store.log(ref, None, limit, offset)
    p = caller.principal
    own = caller.recipient == ref
    return [delivery_view(r) for r in rows if own or _may_read_log(p, r.township)]


async def subject_log(
    svc: Services, caller: Caller, subject: str, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Return the deliveries about a subject (a case) in the caller's area (staff, operators)."""
    p = caller.principal
    if not p.has(*LOG_READERS):
        raise ForbiddenError("the delivery log is read by staff and operators")
    async with svc.uow() as uow:
        rows = await svc.store(uow).log(None, subject, limit, offset, within=p.scope)
    return [delivery_view(r) for r in rows]


async def resend(svc: Services, caller: Caller, delivery_id: str) -> dict[str, Any]:
    """Put a failed delivery back in the queue (county staff or an operator of its area)."""
    p = caller.principal
    if not p.has(*RESENDERS):
        raise ForbiddenError("failed deliveries are resent by county staff or operators")
    async with svc.uow() as uow:
        store = svc.store(uow)
        row = await store.delivery(delivery_id)
        if row is None:
            raise NotFoundError(f"no delivery {delivery_id}")
        if not p.covers(row.township):
            raise ForbiddenError("this delivery is outside your area", township=row.township)
        if row.channel not in {c.value for c in Channel if c is not Channel.in_app}:
            raise TransitionError("a delivery without a channel cannot be resent", state=row.status)
        if not await store.resend(delivery_id, svc.now()):
            raise TransitionError(
                f"only a failed delivery is resent; this one is {row.status}",
                state=row.status,
                allowed=(),
            )
        await svc.audit.record(
            uow.session,
            actor=p,
            action="resend",
            resource_type="delivery",
            resource_id=delivery_id,
            township=row.township,
        )
        await uow.commit()
        after = await store.delivery(delivery_id)
    return delivery_view(after)


def _event_type(svc: Services, template: str) -> str:
    for event_type, routes in svc.routes.items():
        if any(r.template == template for r in routes):
            return event_type
    raise NotFoundError(f"no route uses the template {template}")


def preview(
    svc: Services, caller: Caller, template: str, channel: Channel, data: Mapping[str, Any] | None
) -> Rendered:
    """Render a template for a channel with sample (or given) event data (county staff)."""
    if not caller.principal.has(Role.county_admin):
        raise ForbiddenError("templates are previewed by county staff")
    event_type = _event_type(svc, template)
    model = CATALOG[event_type].model
    try:
        event: EventData = typical(event_type) if data is None else model.model_validate(data)
    except ValidationError as error:
        raise InputError(
            [FieldError(("data", *e["loc"]), e["msg"]) for e in error.errors()]
        ) from error
    ctx = context(event, event_type=event_type, recipient_name="张三")
    try:
        return svc.renderer.render(template, channel, ctx)
    except RenderError as error:
        raise invalid(("data",), str(error), "render_error") from error


def masked_contact(channel: Channel, address: str) -> str:
    """Return an address as every read shows it."""
    if channel is Channel.email:
        return mask_email(address)
    if channel is Channel.sms:
        return mask_phone(address)
    return address  # a robot key names a configured robot; it is not personal


async def set_contacts(
    svc: Services, caller: Caller, ref: RecipientRef, addresses: Mapping[Channel, str | None]
) -> dict[str, str]:
    """Set a recipient's addresses (county staff of its area); return them masked."""
    p = caller.principal
    if not p.has(Role.county_admin):
        raise ForbiddenError("contacts are managed by county staff")
    problems = check_contacts(addresses, ())
    if problems:
        raise InputError([FieldError(x.loc, x.msg) for x in problems])
    async with svc.uow() as uow:
        store = svc.store(uow)
        township = await store.township_of(ref)
        if township is None:
            raise NotFoundError(f"{ref} is not in the directory")
        if not p.covers(township):
            raise ForbiddenError("this recipient is outside your area", township=township)
        before = await store.addresses((ref, c) for c in addresses)
        for channel, address in addresses.items():
            await store.set_contact(ref, channel, address)
        await svc.audit.record(
            uow.session,
            actor=p,
            action="set_contacts",
            resource_type="recipient",
            resource_id=str(ref),
            township=township,
            detail=change_detail(
                audited_contacts({c: a for (_, c), a in before.items()}),
                audited_contacts(addresses),
                restricted=HIDDEN,
            ),
        )
        await uow.commit()
        found = await store.addresses((ref, c) for c in Channel if c is not Channel.in_app)
    return {c.value: masked_contact(c, a) for (_, c), a in found.items()}
