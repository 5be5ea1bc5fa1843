"""E-mail over SMTP (aiosmtplib): a pool of kept-open connections, STARTTLS or implicit TLS, credentials.

Each message carries ``Message-ID: <delivery id@domain>``, stable for a delivery, so a resend
after a crash between send and mark is the same message to a mail system that deduplicates and
is recognisable to a person or an operator. SMTP 4xx replies, timeouts and refused or dropped
connections are transient; 5xx replies and malformed addresses are permanent.

Up to ``pool`` connections are open at once, each carrying many messages one after the other;
a connection that failed is dropped and the next message on its slot opens a new one.

aiosmtplib opens every connection (greeting, EHLO, STARTTLS or implicit TLS, AUTH; EHLO once more
where its connect left the server's extensions unknown: over implicit TLS, after STARTTLS without
AUTH). When the server offers PIPELINING (RFC 2920) the connection's transport is then handed to ``_Pipe``, which
sends MAIL, RCPT and DATA in one write and the message in a second (two writes and two round trips
a message instead of four: aiosmtplib reads one reply a command and drops a reply that arrives
before its next read, so it cannot pipeline). Without PIPELINING aiosmtplib sends, as before.
"""

from __future__ import annotations

import asyncio
import base64
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Final, cast

import aiosmtplib

from notify.adapters.base import Outgoing
from notify.domain.model import Channel
from notify.domain.retry import Delivered, Failed, Outcome, classify_smtp, permanent, transient

_MAILBOX: Final = re.compile(
    r"[^@\s<>\"',;\x00-\x1f\x7f]+@[^@\s<>\"',;\x00-\x1f\x7f]+\.[^@\s<>\"',;\x00-\x1f\x7f]+"
)
"""A bare mailbox: nothing that could end or bend an SMTP command (no blank, control, bracket)."""
MAX_REPLY: Final = 32 * 1024
"""Bytes of replies kept unparsed at most (a server streaming garbage is cut off)."""


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
    data = text.encode()
    words: list[str] = []
    start, size = 0, len(data)
    while start < size:  # at most 39 bytes a word (52 in base64, 64 with the wrapping): whole chars
        end = min(start + 39, size)
        while end < size and data[end] & 0xC0 == 0x80:  # not inside a character's bytes
            end -= 1
        words.append(f"=?utf-8?b?{base64.b64encode(data[start:end]).decode()}?=")
        start = end
    return "\r\n ".join(words)


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
        self._second = -1
        self._formatted = ""

    def _date(self) -> str:
        """Return the Date header's value, formatted once a second."""
        now = int(time.time())
        if now != self._second:
            self._second, self._formatted = now, formatdate(now, usegmt=True)
        return self._formatted

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
            f"Date: {self._date()}\r\n"
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


class _Pipe(asyncio.Protocol):
    """A connection aiosmtplib opened, taken over for pipelined mail transactions (RFC 2920).

    Replies are parsed as they arrive and kept in order, so several commands written at once get
    theirs however the server's writes split them. Used only when the server offers PIPELINING.
    """

    def __init__(self, transport: asyncio.BaseTransport, timeout: float) -> None:
        self._transport = cast(asyncio.WriteTransport, transport)
        self._timeout = timeout
        self._loop = asyncio.get_running_loop()
        self._buffer = bytearray()
        self._replies: deque[tuple[int, bytes]] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._lost: aiosmtplib.SMTPException | None = None

    @property
    def is_connected(self) -> bool:
        """Return whether the connection can carry another message (no unsolicited reply waits)."""
        return self._lost is None and not self._replies and not self._transport.is_closing()

    def data_received(self, data: bytes) -> None:
        """Parse the complete replies that arrived (a multi-line one ends at its ``nnn `` line)."""
        buffer = self._buffer
        buffer += data
        offset = start = 0
        while (end := buffer.find(b"\n", offset)) >= 0:
            line = bytes(buffer[offset : end + 1])
            offset = end + 1
            if line[3:4] == b"-":
                continue  # a multi-line reply goes on
            if not line[:3].isdigit():
                self._fail(aiosmtplib.SMTPResponseException(-1, "malformed SMTP reply"))
                return
            self._replies.append((int(line[:3]), line[4:].strip()))
            start = offset
        del buffer[:start]
        if len(buffer) > MAX_REPLY:
            self._fail(aiosmtplib.SMTPResponseException(-1, "SMTP reply too long"))
            return
        if start:
            self._wake()

    def eof_received(self) -> bool:
        """The server hung up: what waits fails; close."""
        self._fail(aiosmtplib.SMTPServerDisconnected("Unexpected EOF received"))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        """What waits for a reply fails."""
        self._fail(aiosmtplib.SMTPServerDisconnected("Connection lost"))

    def _fail(self, error: aiosmtplib.SMTPException) -> None:
        if self._lost is None:
            self._lost = error
        self._wake()
        if not self._transport.is_closing():
            self._transport.close()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _expire(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(
                aiosmtplib.SMTPReadTimeoutError("Timed out waiting for server response")
            )

    async def _read(self, n: int) -> list[tuple[int, bytes]]:
        """Return the next ``n`` replies (timeout: ``SMTPReadTimeoutError``)."""
        if len(self._replies) < n:
            timer = self._loop.call_later(self._timeout, self._expire)
            try:
                while len(self._replies) < n:
                    if self._lost is not None:
                        raise self._lost
                    self._waiter = self._loop.create_future()
                    await self._waiter
            finally:
                timer.cancel()
                self._waiter = None
        return [self._replies.popleft() for _ in range(n)]

    def _write(self, data: bytes) -> None:
        if self._lost is not None:
            raise self._lost
        if self._transport.is_closing():
            raise aiosmtplib.SMTPServerDisconnected("Connection lost")
        self._transport.write(data)

    async def transaction(self, envelope: bytes, recipient: str, message: bytes) -> None:
        """Send MAIL, RCPT and DATA in one write, then the message; raise as aiosmtplib would.

        ``message`` is dot-stuffed and ends with CRLF. After a refusal the connection is to be
        dropped (nothing follows a refused MAIL or RCPT: a DATA answered 354 anyway is never
        ended with the lone dot, so no message is accepted).
        """
        self._write(envelope)
        (mail, mail_text), (rcpt, rcpt_text), (data, data_text) = await self._read(3)
        if mail != 250:
            raise aiosmtplib.SMTPSenderRefused(mail, mail_text.decode(errors="replace"), "")
        if rcpt not in (250, 251):
            text = rcpt_text.decode(errors="replace")
            raise aiosmtplib.SMTPRecipientsRefused(
                [aiosmtplib.SMTPRecipientRefused(rcpt, text, recipient)]
            )
        if data != 354:
            raise aiosmtplib.SMTPDataError(data, data_text.decode(errors="replace"))
        self._write(message + b".\r\n")
        ((done, done_text),) = await self._read(1)
        if done != 250:
            raise aiosmtplib.SMTPDataError(done, done_text.decode(errors="replace"))

    async def quit(self) -> None:
        """Say QUIT, wait for the reply, close."""
        try:
            self._write(b"QUIT\r\n")
            await self._read(1)
        finally:
            self.close()

    def close(self) -> None:
        """Close the transport."""
        if not self._transport.is_closing():
            self._transport.close()


def _stuffed(message: bytes) -> bytes:
    """Return a message as DATA carries it: CRLF-ended, a leading dot doubled (RFC 5321 4.5.2)."""
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    if message.startswith(b"."):
        message = b"." + message
    return message.replace(b"\r\n.", b"\r\n..")


async def _greeted(client: aiosmtplib.SMTP) -> None:
    """EHLO (HELO if refused) where aiosmtplib's connect did not: its extensions (PIPELINING) known.

    Over implicit TLS, and after STARTTLS without AUTH, connect leaves the greeting to the first
    ``sendmail``; the pipelined path needs the server's extensions before it.
    """
    if not client.is_ehlo_or_helo_needed:
        return
    try:
        await client.ehlo()
    except aiosmtplib.SMTPHeloError:
        if not client.is_connected:
            raise
        await client.helo()


class _Connection:
    """One kept-open connection: aiosmtplib's client, pipelined through ``_Pipe`` when it can be."""

    def __init__(self, client: aiosmtplib.SMTP, sender: str, timeout: float) -> None:
        self.client = client
        self.pipe: _Pipe | None = None
        self._size = client.supports_extension("size")
        self._utf8 = client.supports_extension("smtputf8")
        self._from = f"MAIL FROM:<{sender}>".encode()
        transport = client.transport
        if client.supports_extension("pipelining") and transport is not None:
            self.pipe = _Pipe(transport, timeout)
            transport.set_protocol(self.pipe)  # aiosmtplib's protocol reads no more on it

    @property
    def is_connected(self) -> bool:
        """Return whether the connection can carry another message."""
        return self.client.is_connected if self.pipe is None else self.pipe.is_connected

    async def send(self, sender: str, address: str, message: bytes) -> None:
        """Send one message to one mailbox (checked against ``_MAILBOX``: no CR, LF, blank)."""
        utf8 = not address.isascii()
        if self.pipe is None:
            await self.client.sendmail(
                sender, [address], message, mail_options=["SMTPUTF8"] if utf8 else []
            )
            return
        if utf8 and not self._utf8:
            raise aiosmtplib.SMTPNotSupported("SMTPUTF8 is not supported by this server")
        data = _stuffed(message)
        envelope = self._from
        if self._size:
            envelope += b" SIZE=%d" % (len(data) + 3)
        if utf8:
            envelope += b" SMTPUTF8"
        envelope += b"\r\nRCPT TO:<" + address.encode() + b">\r\nDATA\r\n"
        await self.pipe.transaction(envelope, address, data)

    def close(self) -> None:
        """Close the connection at once."""
        if self.pipe is not None:
            self.pipe.close()
        elif self.client.is_connected:
            self.client.close()

    async def quit(self) -> None:
        """Say QUIT and close."""
        if self.pipe is not None:
            await self.pipe.quit()
        else:
            await self.client.quit()


ConnectionEvent = Callable[[str], None]
"""Told ``opened``, ``failed`` (could not connect) or ``dropped`` (closed after an error)."""


def _ignore(event: str) -> None:
    """Observe nothing."""


class SmtpSender:
    """Sends e-mail over a pool of kept-open SMTP connections, reopened when one fails.

    A connection is pipelined (MAIL, RCPT and DATA in one write) when the server offers
    PIPELINING, else carried by aiosmtplib command by command.
    """

    channel = Channel.email

    def __init__(self, settings: SmtpSettings, observe: ConnectionEvent = _ignore) -> None:
        if not _MAILBOX.fullmatch(settings.sender):
            raise ValueError("SMTP_FROM is not a bare e-mail address")
        self._settings = settings
        self._observe = observe
        self._builder = MessageBuilder(settings)
        self._slots: asyncio.LifoQueue[_Connection | None] = asyncio.LifoQueue()
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

    async def _connected(self, connection: _Connection | None) -> _Connection:
        if connection is not None:
            if connection.is_connected:
                return connection
            connection.close()  # the server hung up, or spoke unasked (a 421 before closing)
        client = self._new_client()
        try:
            await client.connect()  # greeting, EHLO, STARTTLS / TLS, AUTH
            await _greeted(client)
        except BaseException:
            self._observe("failed")
            raise
        self._observe("opened")
        return _Connection(client, self._settings.sender, self._settings.timeout)

    def _drop(self, connection: _Connection) -> None:
        self._observe("dropped")
        connection.close()

    async def send(self, outgoing: Outgoing) -> Outcome:
        """Send one e-mail on a free connection; a failure is classified and its connection dropped."""
        if not _MAILBOX.fullmatch(outgoing.address):
            return permanent("not an e-mail address")
        message = self._builder.build(outgoing)  # the address matched _MAILBOX: no CR, LF
        slot = await self._slots.get()
        connection: _Connection | None = None
        try:
            connection = await self._connected(slot)  # reopened when the server hung up meanwhile
            await connection.send(self._settings.sender, outgoing.address, message)
        except BaseException as exc:
            if connection is not None:
                self._drop(connection)  # after an error (or a cancel) the conversation is unusable
                connection = None
            elif slot is not None:
                slot.close()
            failed = _failure(exc)
            if failed is None:
                raise
            return failed
        finally:
            self._slots.put_nowait(connection)
        return Delivered(self._builder.message_id(outgoing.delivery_id))

    async def close(self) -> None:
        """Say QUIT on every idle connection and close it."""
        connections: list[_Connection | None] = []
        while not self._slots.empty():
            connections.append(self._slots.get_nowait())
        for connection in connections:
            if connection is not None and connection.is_connected:
                try:
                    await connection.quit()
                except (aiosmtplib.SMTPException, OSError):
                    connection.close()
            self._slots.put_nowait(None)
