"""Request and response bodies of the notify API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from notify.domain.directory import Office
from notify.domain.model import Channel

CLOCK = r"^([01]\d|2[0-3]):[0-5]\d$"
"""A China-time clock, HH:MM."""


class InboxItemOut(BaseModel):
    """One message in the in-app inbox."""

    item_id: str
    event_type: str
    subject: str
    title: str
    body: str
    created_at: datetime
    read: bool


class InboxOut(BaseModel):
    """A page of the caller's inbox and how many are unread."""

    items: list[InboxItemOut]
    unread: int


class QuietIn(BaseModel):
    """A quiet-hours window in China time, e.g. 22:00–07:00."""

    model_config = ConfigDict(extra="forbid")

    start: str = Field(pattern=CLOCK, examples=["22:00"])
    end: str = Field(pattern=CLOCK, examples=["07:00"])


class DigestIn(BaseModel):
    """When the daily digest goes."""

    model_config = ConfigDict(extra="forbid")

    send_at: str = Field(default="08:30", pattern=CLOCK)
    workdays_only: bool = True


class PreferencesBody(BaseModel):
    """How a recipient wants to hear: channels in order, per event type, quiet hours, digest."""

    model_config = ConfigDict(extra="forbid")

    channels: list[Channel] = Field(default=[Channel.email], max_length=4)
    per_event: dict[str, list[Channel]] = Field(default_factory=dict, max_length=100)
    fan_out: bool = False
    quiet: list[QuietIn] = Field(
        default_factory=lambda: [QuietIn(start="22:00", end="07:00")], max_length=6
    )
    urgent_passes_quiet: bool = True
    digest: DigestIn | None = Field(default_factory=DigestIn)
    digest_everything: bool = False


class DeliveryOut(BaseModel):
    """One delivery in the log: its status, attempts and last error (never an address)."""

    delivery_id: str
    event_id: str
    event_type: str
    subject: str
    recipient_kind: str
    recipient_id: str
    channel: str
    township: str
    template: str
    status: str
    held: bool
    attempts: int
    next_at: datetime | None
    last_error: str | None
    error_kind: str | None
    created_at: datetime
    finished_at: datetime | None
    title: str


class PreviewIn(BaseModel):
    """A template preview: the channel and, optionally, event data (a sample otherwise)."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    data: dict[str, Any] | None = None


class PreviewOut(BaseModel):
    """A rendered message."""

    channel: Channel
    title: str
    body: str
    segments: int


class ContactsIn(BaseModel):
    """A recipient's addresses; null erases one, a missing channel is left as it is."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=320)
    sms: str | None = Field(default=None, max_length=20)
    webhook: str | None = Field(default=None, max_length=100)


COUNTY = r"^\d{6}$"
AREA = r"^(\d{6}|\d{9})$"


class UnitIn(BaseModel):
    """A handling unit (承办单位): its name, county, whether it is in use, its office addresses."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["县交通运输局"])
    county: str = Field(pattern=COUNTY, examples=["990101"])
    active: bool = True
    contacts: ContactsIn = Field(default_factory=ContactsIn)


class StaffIn(BaseModel):
    """A staff member: name, township (9 digits) or county (6), offices held there, addresses."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["东湖镇人大主席团"])
    township: str = Field(pattern=AREA, examples=["990101001"])
    offices: list[Office] = Field(default_factory=list, max_length=5)
    active: bool = True
    contacts: ContactsIn = Field(default_factory=ContactsIn)


class EntryOut(BaseModel):
    """A directory entry as every read shows it: addresses masked."""

    kind: str
    id: str
    name: str
    area: str
    active: bool
    version: int
    offices: list[str]
    contacts: dict[str, str]
    superseded: list[str] = Field(
        default_factory=list,
        description="Channels whose address the roster has since changed (a deputy's new phone):"
        " not used until it is entered again",
    )


class ImportErrorOut(BaseModel):
    """Why one row of an import file was rejected."""

    row: int
    id: str
    field: str
    message: str


class ImportOut(BaseModel):
    """What an import wrote (every row), or the rejected rows (then nothing was written)."""

    kind: str
    rows: int
    created: int
    updated: int
    written: bool
    errors: list[ImportErrorOut]
