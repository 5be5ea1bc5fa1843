"""The one interface of every channel: send an outgoing message, get Delivered / transient / permanent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from notify.domain.model import Channel
from notify.domain.retry import Outcome, permanent
from notify.templates.render import Rendered


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message for one address: the delivery id travels as idempotency key / Message-ID.

    ``address`` is restricted data (a mailbox, a phone number, a robot key): adapters put it on
    the wire and nowhere else, and no ``Failed.reason`` they return contains it.
    """

    delivery_id: str
    address: str
    message: Rendered


class Sender(Protocol):
    """A channel adapter."""

    channel: Channel

    async def send(self, outgoing: Outgoing) -> Outcome:
        """Send one message; never raise for a delivery problem, return a classified outcome."""
        ...


class Channels:
    """The adapters by channel: the one place the wiring hands a message to."""

    def __init__(self, senders: Mapping[Channel, Sender]) -> None:
        for channel, sender in senders.items():
            if sender.channel is not channel:
                raise ValueError(f"{type(sender).__name__} does not send {channel}")
        self._senders = dict(senders)

    def __contains__(self, channel: Channel) -> bool:
        return channel in self._senders

    async def send(self, outgoing: Outgoing) -> Outcome:
        """Send through the adapter of the message's channel; no adapter is a permanent failure."""
        sender = self._senders.get(outgoing.message.channel)
        if sender is None:
            return permanent(f"channel {outgoing.message.channel} is not configured")
        return await sender.send(outgoing)
