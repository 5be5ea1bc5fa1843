"""The parts fit: an event is routed, planned, rendered and sent to real local servers.

No database yet: a dict keyed by delivery id stands where the deliveries table's unique key will,
to show that a redelivered event yields the same keys (the table, not this dict, is the guarantee).
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType
from uuid import UUID

import httpx
import pytest

from contracts.catalog import model_for
from contracts.vocabulary import RecipientKind as K
from notify.adapters.base import Channels, Outgoing
from notify.adapters.email import SmtpSender, SmtpSettings
from notify.adapters.sms import SmsSender, SmsSettings
from notify.domain.directory import MemoryDirectory
from notify.domain.intake import take_in
from notify.domain.model import Channel, Recipient, RecipientRef
from notify.domain.preferences import Preferences
from notify.domain.retry import Delivered
from notify.domain.routes import DEFAULT_ROUTES
from notify.domain.routing import Event
from notify.outgoing import compose
from notify.templates.render import Renderer
from notify.templates.samples import TOWNSHIP, TYPICAL
from notify.testing.servers import Scripted, http_endpoint, smtp_server

NOW = datetime(2025, 3, 4, 2, tzinfo=UTC)  # Tuesday 10:00 in China: working hours
JTJ = Recipient(
    RecipientRef(K.handling_unit, "U-jtj"), "县交通运输局", TOWNSHIP,
    MappingProxyType({Channel.email: "jtj@county.gov.cn", Channel.sms: "13800001234"}),
)  # fmt: skip
OVERDUE = model_for("cases.case.overdue")
assert OVERDUE is not None
EVENT = Event(
    UUID(int=42),
    "cases.case.overdue",
    NOW,
    OVERDUE.model_validate({**TYPICAL["cases.case.overdue"], "unit_ids": ["U-jtj"]}),
)


def planned_outgoing(renderer: Renderer) -> list[Outgoing]:
    """Return the external messages the overdue event causes (the inbox copy is stored, not sent)."""
    intake = take_in(
        EVENT,
        table=DEFAULT_ROUTES,
        directory=MemoryDirectory([JTJ]),
        preferences=lambda ref: Preferences((Channel.email, Channel.sms), fan_out=True),
        throttle_state=lambda ref, key: (None, 0),
        now=NOW,
    )
    due = [p for p in intake.deliveries if p.channel is not Channel.in_app and p.send_at <= NOW]
    return [compose(p, renderer, subject_title="老街排水管网改造") for p in due]


async def test_an_overdue_event_reaches_the_unit_by_email_and_sms_once() -> None:
    renderer = Renderer()
    store: dict[str, Outgoing] = {}
    with smtp_server() as (sink, port), http_endpoint(Scripted(200, {"id": "gw-1"})) as gateway:
        async with httpx.AsyncClient(timeout=2) as client:
            email = SmtpSender(SmtpSettings(port=port))
            channels = Channels(
                {
                    Channel.email: email,
                    Channel.sms: SmsSender(SmsSettings(gateway.url(), "k", "s"), client),
                }
            )
            for _ in range(2):  # the event is delivered twice by the broker
                fresh = [o for o in planned_outgoing(renderer) if o.delivery_id not in store]
                for outgoing in fresh:
                    store[outgoing.delivery_id] = outgoing
                    assert isinstance(await channels.send(outgoing), Delivered)
            await email.close()
    [mail] = sink.received()
    assert mail["Subject"] == "已超期：老街排水管网改造"
    assert mail["To"] == "jtj@county.gov.cn"
    [sms] = gateway.requests()
    assert sms.json()["text"].startswith("【县人大】“老街排水管网改造”已超期")
    assert {mail["X-Notify-Delivery"], sms.headers["Idempotency-Key"]} == set(store)


def test_an_addressless_delivery_cannot_be_composed() -> None:
    intake = take_in(
        EVENT,
        table=DEFAULT_ROUTES,
        directory=MemoryDirectory([Recipient(JTJ.ref, JTJ.name, TOWNSHIP)]),
        preferences=lambda ref: Preferences((Channel.sms,)),
        throttle_state=lambda ref, key: (None, 0),
        now=NOW,
    )
    [failed] = intake.failed
    with pytest.raises(ValueError, match="no usable address"):
        compose(failed, Renderer())
