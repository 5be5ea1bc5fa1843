"""Calendars as iCalendar feeds (RFC 5545, the ``icalendar`` library) for calendar apps.

Every plan is one VEVENT whose UID never changes; SEQUENCE is the plan's, bumped by every
reschedule and by the cancellation, so an app replaces its copy; a cancelled plan stays in the
feed with STATUS:CANCELLED (apps then strike it out); times are in Asia/Shanghai with its
VTIMEZONE.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")
PRODID = "-//township-npc-platform//deputies calendar//ZH"
STATUS = {"planned": "CONFIRMED", "held": "CONFIRMED", "cancelled": "CANCELLED"}


def uid(plan_id: str, domain: str) -> str:
    """Return a plan's stable UID."""
    return f"{plan_id}@{domain}"


def _location(item: dict[str, Any]) -> str | None:
    if item.get("station_name"):
        return " ".join(p for p in (item["station_name"], item.get("station_address")) if p)
    return item.get("address")


def render(name: str, items: list[dict[str, Any]], *, domain: str, stamp: datetime) -> bytes:
    """Return a calendar named ``name`` with one event per plan, as .ics bytes."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Shanghai")
    cal.add_component(Timezone.from_tzid("Asia/Shanghai"))
    for item in items:
        event = Event()
        event.add("uid", uid(item["id"], domain))
        event.add("dtstamp", stamp)
        event.add("sequence", item["sequence"])
        event.add("summary", item["title"])
        event.add("dtstart", item["starts_at"].astimezone(SHANGHAI))
        event.add("dtend", item["ends_at"].astimezone(SHANGHAI))
        event.add("status", STATUS[item["state"]])
        location = _location(item)
        if location:
            event.add("location", location)
        event.add("categories", [item["type"]])
        cal.add_component(event)
    return bytes(cal.to_ical())
