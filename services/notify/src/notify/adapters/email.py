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
import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
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
    pool: int = 8
    """Connections open at once (each sends one message at a time)."""


def _encoded_words(text: str) -> str:
    """Return a header value as RFC 2047 ``utf-8`` base64 words, folded (ASCII text as it is)."""
    text = " ".join(text.split())  # one line: no CR or LF can reach the header block
    if text.isascii():
        return text
    words: list[str] = []
    chunk = bytearray()
    for char in text:  # at most 39 bytes a word (52 in base64, 64 with the wrapping): whole chars
        encoded = char.encode()
        if len(chunk) + len(encoded) > 39:
            words.append(base64.b64encode(chunk).decode())
            chunk.clear()
        chunk += encoded
    words.append(base64.b64encode(chunk).decode())
    return "\r\n ".join(f"=?utf-8?b?{word}?=" for word in words)


class MessageBuilder:
    """Builds the bytes of outgoing e-mails (UTF-8 plain text, base64 body, stable Message-ID).

    The headers are written directly (the sender's, computed once), not through the ``email``
    package's objects and generator: the same RFC 5322 / 2047 / 2045 message as ``MIMEText``
    makes, at a fraction of its cost (which was the largest part of sending).
    """

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings
        name = _encoded_words(settings.sender_name)
        if name and not name.startswith("=?"):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        sender = f"{name}\r\n <{settings.sender}>" if name else settings.sender  # lines <= 78
        self._head = (
            'Content-Type: text/plain; charset="utf-8"\r\n'
            "MIME-Version: 1.0\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            f"From: {sender}\r\n"
        )

    def message_id(self, delivery_id: str) -> str:
        """Return the Message-ID of a delivery: the same for every attempt."""
        return f"<{delivery_id}@{self._settings.message_id_domain}>"

    def build(self, outgoing: Outgoing) -> bytes:
        """Return the message of an outgoing e-mail, CRLF line ends, ready for DATA.

        The header block is UTF-8 only where the address is (an internationalised mailbox is
        sent with SMTPUTF8, RFC 6532); everything else in it is ASCII.
        """
        body = base64.encodebytes(outgoing.message.body.encode()).replace(b"\n", b"\r\n")
        head = (
            f"{self._head}"
            f"To: {outgoing.address}\r\n"
            f"Subject: {_encoded_words(outgoing.message.title)}\r\n"
            f"Date: {formatdate(localtime=False, usegmt=True)}\r\n"
            f"Message-ID: {self.message_id(outgoing.delivery_id)}\r\n"
            f"X-Notify-Delivery: {outgoing.delivery_id}\r\n\r\n"
        )
        return head.encode() + body


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
        self._builder = MessageBuilder(settings)
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
        message = self._builder.build(outgoing)  # the address matched _MAILBOX: no CR, LF
        slot = await self._slots.get()
        client: aiosmtplib.SMTP | None = None
        try:
            client = await self._connected(slot)  # reopened when the server hung up meanwhile
            await client.sendmail(
                self._settings.sender,
                [outgoing.address],
                message,
                mail_options=[] if outgoing.address.isascii() else ["SMTPUTF8"],
            )
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
        return Delivered(self._builder.message_id(outgoing.delivery_id))

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
