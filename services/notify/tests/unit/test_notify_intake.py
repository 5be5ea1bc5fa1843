"""One event in, the deliveries to store out: routing, throttling and preferences together."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from uuid import UUID

from contracts.catalog import model_for
from contracts.vocabulary import RecipientKind as K
from notify.domain.directory import MemoryDirectory, Office
from notify.domain.intake import take_in
from notify.domain.model import Channel, Recipient, RecipientRef
from notify.domain.preferences import Preferences
from notify.domain.routes import DEFAULT_ROUTES
from notify.domain.routing import Event
from notify.templates.samples import TOWNSHIP, TYPICAL

NOW = datetime(2025, 3, 4, 2, tzinfo=UTC)  # Tuesday 10:00 in China
JTJ = Recipient(
    RecipientRef(K.handling_unit, "U-jtj"), "县交通运输局", TOWNSHIP,
    MappingProxyType({Channel.email: "jtj@example.cn", Channel.sms: "13800001234"}),
)  # fmt: skip
ZJJ = Recipient(RecipientRef(K.handling_unit, "U-zjj"), "县住建局", TOWNSHIP)  # no address
STAFF = Recipient(RecipientRef(K.staff, "S-1"), "东湖镇人大", TOWNSHIP)
DIRECTORY = MemoryDirectory(
    [JTJ, ZJJ, STAFF], {(Office.township_staff, TOWNSHIP): [RecipientRef(K.staff, "S-1")]}
)


def event(event_type: str, **changes: object) -> Event:
    """Return the typical event of a type."""
    model = model_for(event_type)
    assert model is not None
    data = model.model_validate({**TYPICAL[event_type], **changes})
    return Event(UUID(int=9), event_type, NOW, data)


def never_reminded(ref: RecipientRef, key: str) -> tuple[datetime | None, int]:
    """Return the state of a recipient never reminded."""
    return None, 0


def test_an_overdue_case_becomes_deliveries_failures_and_a_digest_item() -> None:
    intake = take_in(
        event("cases.case.overdue", unit_ids=["U-jtj", "U-zjj", "U-gone"]),
        table=DEFAULT_ROUTES,
        directory=DIRECTORY,
        preferences=lambda ref: Preferences((Channel.sms, Channel.email)),
        throttle_state=never_reminded,
        now=NOW,
    )
    rows = [(p.key.recipient.id, p.channel, p.problem, p.digest_day) for p in intake.deliveries]
    assert rows == [
        ("U-jtj", Channel.sms, None, None),
        ("U-jtj", Channel.in_app, None, None),
        ("U-zjj", Channel.sms, "no usable address", None),  # visible, not dropped
        ("U-zjj", Channel.in_app, None, None),
        ("S-1", Channel.sms, "no usable address", date(2025, 3, 5)),  # staff: next digest
        ("S-1", Channel.in_app, None, None),
    ]
    assert [u.recipient for u in intake.unresolved] == [RecipientRef(K.handling_unit, "U-gone")]
    assert len(intake.failed) == 2


def test_a_reminder_the_throttle_holds_back_is_not_delivered() -> None:
    reminded = event("cases.case.reminded", unit_ids=["U-jtj"])
    sent_today = NOW - timedelta(hours=1)
    intake = take_in(
        reminded,
        table=DEFAULT_ROUTES,
        directory=DIRECTORY,
        preferences=lambda ref: Preferences(),
        throttle_state=lambda ref, key: (sent_today, 1),
        now=NOW,
    )
    assert intake.deliveries == ()
    assert [n.recipient.ref.id for n in intake.throttled] == ["U-jtj"]
    allowed = take_in(
        reminded,
        table=DEFAULT_ROUTES,
        directory=DIRECTORY,
        preferences=lambda ref: Preferences(),
        throttle_state=lambda ref, key: (sent_today - timedelta(days=1), 1),
        now=NOW,
    )
    assert [p.channel for p in allowed.deliveries] == [Channel.email, Channel.in_app]


def test_a_silent_event_type_makes_nothing() -> None:
    intake = take_in(
        Event(UUID(int=1), "deputies.roster.verified", NOW, event("deputies.roster.stale").data),
        table=DEFAULT_ROUTES,
        directory=DIRECTORY,
        preferences=lambda ref: Preferences(),
        throttle_state=never_reminded,
        now=NOW,
    )
    assert intake == type(intake)()
