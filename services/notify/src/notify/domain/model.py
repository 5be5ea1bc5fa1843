"""Who hears, on which channel, and the one key a delivery is known by (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from hashlib import sha1
from json.encoder import encode_basestring
from types import MappingProxyType
from uuid import UUID, uuid5

from contracts.vocabulary import Channel as ContractChannel, RecipientKind


class Channel(StrEnum):
    """Where a message goes: e-mail, SMS gateway, group-robot webhook, or the in-app inbox.

    The values of ``contracts.vocabulary.Channel``: an in-app inbox item is a delivery like the
    others (``notification.sent`` with channel ``in_app`` when it is stored).
    """

    email = "email"
    sms = "sms"
    webhook = "webhook"
    in_app = "in_app"

    @property
    def interrupts(self) -> bool:
        """Tell whether the channel buzzes a phone or a group (held in quiet hours)."""
        return self in (Channel.sms, Channel.webhook)

    def contract(self) -> ContractChannel:
        """Return the contract's channel."""
        return ContractChannel(self.value)


class Timing(StrEnum):
    """When a routed notice may go: now, in working hours, or in the recipient's daily digest."""

    now = "now"
    working_hours = "working_hours"
    digest = "digest"


@dataclass(frozen=True, slots=True)
class RecipientRef:
    """A recipient by kind and id, as the routing names them (no address)."""

    kind: RecipientKind
    id: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.id}"


@dataclass(frozen=True, slots=True)
class Recipient:
    """A person, unit or office with a display name and an address per channel.

    Addresses are restricted data: they go to the channel adapter and nowhere else (not into a
    template, a log line or an event). A webhook address is the key of a configured robot.
    """

    ref: RecipientRef
    name: str
    township: str
    addresses: Mapping[Channel, str] = field(default_factory=lambda: MappingProxyType({}))
    superseded: frozenset[Channel] = frozenset()
    """Channels whose address the roster has since changed (not in ``addresses``: not used)."""

    def problem(self, channel: Channel) -> str:
        """Return why a channel without a usable address has none."""
        if channel in self.superseded:
            return "the roster has a new phone number that notify's directory does not have yet"
        return "no usable address"

    def address(self, channel: Channel) -> str | None:
        """Return the usable address on a channel, or None (the inbox needs none)."""
        if channel is Channel.in_app:
            return self.ref.id
        value = self.addresses.get(channel, "").strip()
        return value or None


_DELIVERY_NAMESPACE = UUID("6f1d3c2e-8a4b-5c7d-9e0f-1a2b3c4d5e6f")
_NAMESPACE_BYTES = _DELIVERY_NAMESPACE.bytes
_QUOTED = encode_basestring
"""A string as a JSON string with ``ensure_ascii=False`` (json's C function): what
``json.dumps(strings, ensure_ascii=False, separators=(",", ":"))`` writes for each element."""


@dataclass(frozen=True, slots=True)
class DeliveryKey:
    """One delivery: (event id, recipient, channel). Its id is the table's primary key: unique."""

    event_id: UUID
    recipient: RecipientRef
    channel: Channel

    def text(self) -> str:
        """Return an injective text of the key (JSON, so no separator inside an id can collide)."""
        q = _QUOTED  # the JSON array of the four, written element by element (the same text)
        r = self.recipient
        return f"[{q(str(self.event_id))},{q(r.kind.value)},{q(r.id)},{q(self.channel.value)}]"

    def delivery_id(self) -> str:
        """Return the stable delivery id: the gateway's idempotency key and the Message-ID's left part.

        ``str(uuid5(namespace, text))`` computed directly (SHA-1, the version and variant bits,
        the hex groups): the same value, without building a ``UUID`` (pinned by the tests).
        """
        raw = bytearray(
            sha1(_NAMESPACE_BYTES + self.text().encode(), usedforsecurity=False).digest()[:16]
        )
        raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
        raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
        h = raw.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_DIGEST_NAMESPACE = UUID("0b8e7c1a-2d3f-5a6b-8c9d-0e1f2a3b4c5d")


def digest_event_id(recipient: RecipientRef, day: date) -> UUID:
    """Return the id of a recipient's digest of one China day: the same across restarts and instances."""
    return uuid5(
        _DIGEST_NAMESPACE, json.dumps([recipient.kind.value, recipient.id, day.isoformat()])
    )
