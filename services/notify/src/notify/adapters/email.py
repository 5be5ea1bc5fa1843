"""E-mail over SMTP (aiosmtplib): a pool of kept-open connections, STARTTLS or implicit TLS, credentials.

Each message carries ``Message-ID: <delivery id@domain>``, stable for a delivery, so a resend
after a crash between send and mark is the same message to a mail system that deduplicates and
is recognisable to a person or an operator. SMTP 4xx replies, timeouts and refused or dropped
connections are transient; 5xx replies and malformed addresses are permanent.

Up to ``pool`` connections are open at once, each carrying many messages one after the other;
a connection that failed is dropped and the next message on its slot opens a new one.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate
from typing import Final

import aiosmtplib

from notify.adapters.base import Outgoing
from notify.domain.model import Channel
from notify.domain.retry import Delivered, Failed, Outcome, classify_smtp, permanent, transient

_MAILBOX: Final = re.compile(r"[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+")


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send e-mail; ``starttls`` None upgrades when the server offers it."""

    host: str = "127.0.0.1"
    port: int = 1025
    sender: str = "notify@npc.localhost"
    sender_name: str = "县人大常委会代表工作平台"
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    starttls: bool | None = None
    timeout: float = 10.0
    message_id_domain: str = "notify.npc.localhost"
    validate_certs: bool = True
    pool: int = 4
    """Connections open at once (each sends one message at a time)."""


def build_message(settings: SmtpSettings, outgoing: Outgoing) -> Message:
    """Return the MIME message of an outgoing e-mail (UTF-8 plain text, stable Message-ID).

    Built with the ``compat32`` classes: RFC 2047 encoded words and a base64 body as the modern
    ``EmailMessage`` makes them, at a fraction of the cost of its header folding (which was the
    largest part of the time a message took to send).
    """
    message = MIMEText(outgoing.message.body, "plain", "utf-8")
    message["From"] = formataddr((settings.sender_name, settings.sender), charset="utf-8")
    message["To"] = outgoing.address
    # a Header instance as a value is documented (email.header); typeshed only knows str
    message["Subject"] = Header(outgoing.message.title, "utf-8")  # type: ignore[assignment]
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = f"<{outgoing.delivery_id}@{settings.message_id_domain}>"
    message["X-Notify-Delivery"] = outgoing.delivery_id
    return message


def _refused(exc: aiosmtplib.SMTPRecipientsRefused) -> Failed:
    codes = [r.code for r in exc.recipients] or [550]
    return Failed(classify_smtp(max(codes)), f"SMTP {max(codes)}: recipient refused")


def _failure(exc: BaseException) -> Failed | None:
    """Classify what sending raised; None for what is not a delivery problem (a cancel)."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return _refused(exc)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return Failed(classify_smtp(exc.code), f"SMTP {exc.code}")
    if isinstance(exc, TimeoutError | aiosmtplib.SMTPTimeoutError):
        return transient("SMTP timeout")
    if isinstance(exc, aiosmtplib.SMTPException | OSError):
        return transient(f"SMTP connection: {type(exc).__name__}")
    return None


ConnectionEvent = Callable[[str], None]
"""Told ``opened``, ``failed`` (could not connect) or ``dropped`` (closed after an error)."""


def _ignore(event: str) -> None:
    """Observe nothing."""


class SmtpSender:
    """Sends e-mail over a pool of kept-open SMTP connections, reopened when one fails."""

    channel = Channel.email

    def __init__(self, settings: SmtpSettings, observe: ConnectionEvent = _ignore) -> None:
        self._settings = settings
        self._observe = observe
        self._slots: asyncio.LifoQueue[aiosmtplib.SMTP | None] = asyncio.LifoQueue()
        for _ in range(max(settings.pool, 1)):
            self._slots.put_nowait(None)  # a slot without a connection yet

    def _new_client(self) -> aiosmtplib.SMTP:
        s = self._settings
        return aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            username=s.username,
            password=s.password,
            use_tls=s.use_tls,
            start_tls=s.starttls,
            timeout=s.timeout,
            validate_certs=s.validate_certs,
        )

    async def _connected(self, client: aiosmtplib.SMTP | None) -> aiosmtplib.SMTP:
        if client is not None and client.is_connected:
            return client
        client = self._new_client()
        try:
            await client.connect()
        except BaseException:
            self._observe("failed")
            raise
        self._observe("opened")
        return client

    def _drop(self, client: aiosmtplib.SMTP) -> None:
        self._observe("dropped")
        if client.is_connected:
            client.close()

    async def send(self, outgoing: Outgoing) -> Outcome:
        """Send one e-mail on a free connection; a failure is classified and its connection dropped."""
        if not _MAILBOX.fullmatch(outgoing.address):
            return permanent("not an e-mail address")
        message = build_message(self._settings, outgoing)
        slot = await self._slots.get()
        client: aiosmtplib.SMTP | None = None
        try:
            client = await self._connected(slot)  # reopened when the server hung up meanwhile
            await client.send_message(
                message, sender=self._settings.sender, recipients=[outgoing.address]
            )  # the envelope given: no parsing of the headers back
        except BaseException as exc:
            if client is not None:
                self._drop(client)  # after an error (or a cancel) the conversation is unusable
                client = None
            failed = _failure(exc)
            if failed is None:
                raise
            return failed
        finally:
            self._slots.put_nowait(client)
        return Delivered(message["Message-ID"])

    async def close(self) -> None:
        """Say QUIT on every idle connection and close it."""
        clients: list[aiosmtplib.SMTP | None] = []
        while not self._slots.empty():
            clients.append(self._slots.get_nowait())
        for client in clients:
            if client is not None and client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
            self._slots.put_nowait(None)
