"""Routing of a unit's day and of the submitters' news: extension applications, co-opinions, merges."""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any
from uuid import UUID

import pytest

from contracts.catalog import model_for
from contracts.vocabulary import RecipientKind as K
from notify.domain.directory import MemoryDirectory, Office
from notify.domain.model import Channel, Recipient, RecipientRef, Timing
from notify.domain.routes import DEFAULT_ROUTES
from notify.domain.routing import Event, route_event
from notify.templates.render import Renderer, context
from notify.templates.samples import TOWNSHIP, TYPICAL, typical

W, D = Timing.working_hours, Timing.digest
PEOPLE = [
    Recipient(
        RecipientRef(kind, rid), rid, TOWNSHIP, MappingProxyType({Channel.email: "x@example.cn"})
    )
    for kind, rid in [
        (K.handling_unit, "U-jtj"),
        (K.handling_unit, "U-zjj"),
        (K.deputy, "D-001"),
        (K.deputy, "D-002"),
        (K.staff, "S-county"),
    ]
]
DIRECTORY = MemoryDirectory(
    PEOPLE, {(Office.county_staff, "330102"): [RecipientRef(K.staff, "S-county")]}
)


def event(event_type: str, **changes: Any) -> Event:
    """Return the typical event of a type, with some fields changed."""
    model = model_for(event_type)
    assert model is not None
    data = model.model_validate({**TYPICAL[event_type], **changes})
    return Event(UUID(int=1), event_type, datetime(2025, 3, 3, 2, tzinfo=UTC), data)


def heard(ev: Event) -> list[tuple[str, str, Timing, bool]]:
    """Return (recipient id, template, timing, urgent) of every notice of an event."""
    routed = route_event(ev, DEFAULT_ROUTES, DIRECTORY)
    assert routed.unresolved == ()
    return [(n.recipient.ref.id, n.template, n.timing, n.urgent) for n in routed.notices]


def render(key: str, channel: Channel, data: Any) -> str:
    """Return the body of a rendered template."""
    ctx = context(data, event_type="x", recipient_name="县交通运输局")
    return Renderer().render(key, channel, ctx).body


ROUTED = [
    ("cases.case.extension_applied", {}, [("S-county", "cases.case.extension_applied", W, False)]),
    ("cases.case.extension_refused", {}, [("U-jtj", "cases.case.extension_refused", W, False)]),
    ("cases.case.co_opinion_recorded", {}, [("U-jtj", "cases.case.co_opinion_recorded", W, False)]),
    ("cases.case.triaged", {}, [
        ("D-001", "cases.case.triaged.merged", D, False),
        ("D-002", "cases.case.triaged.merged", D, False),
    ]),
    # only a merge concerns the submitters here; other outcomes reach them by closure
    ("cases.case.triaged", {"outcome": "not_accepted", "reason": "personal_matter", "merged_into": None}, []),
    ("cases.case.triaged", {"outcome": "accepted", "merged_into": None}, []),
]  # fmt: skip


@pytest.mark.parametrize(("event_type", "changes", "expected"), ROUTED)
def test_who_hears_of_a_units_day_and_of_a_merge(
    event_type: str, changes: dict[str, Any], expected: list[tuple[str, str, Any, bool]]
) -> None:
    assert heard(event(event_type, **changes)) == expected


def test_the_key_chase_notice_names_the_leader_and_the_meeting_when_recorded_for_them() -> None:
    sample = typical("cases.case.key_chase_designated")
    text = render("cases.case.key_chase_designated", Channel.email, sample)
    assert "决定：县人大常委会主任（主任会议纪要〔2025〕7号，2025年3月28日）" in text
    own = sample.model_copy(update={"on_behalf_of": None, "meeting_ref": None, "decided_on": None})
    assert "决定" not in render("cases.case.key_chase_designated", Channel.email, own)


def test_a_refused_application_says_by_when_the_reply_is_still_due() -> None:
    text = render(
        "cases.case.extension_refused", Channel.email, typical("cases.case.extension_refused")
    )
    assert "未获批准" in text
    assert "理由不充分，请按期答复" in text
