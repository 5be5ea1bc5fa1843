"""A lean SMTP sink for benches: real SMTP on loopback, each message's Message-ID and arrival time.

aiosmtpd parses every command through several layers of coroutines, which made the receiving
server the bottleneck of issue 11's bench (for raw aiosmtplib as much as for notify). This sink is
one ``asyncio.Protocol`` per connection: it speaks EHLO / HELO, MAIL, RCPT, DATA, RSET, NOOP and
QUIT, offers PIPELINING (a client may send MAIL, RCPT and DATA in one write; the replies go back in
order), answers anything else with 502 and a message over its size with 552, undoes the dot
stuffing and reads the header block of each message enough to find its ``Message-ID`` (folded
headers and any case of the name). A message without one is kept as ``-``. With a server TLS
context it offers STARTTLS too (``start(starttls=…)``; ``start(tls=…)`` speaks implicit TLS), so a
client's pipelined path is tested over both kinds of TLS.

``on_message(message_id, arrived)`` is called once per accepted message (``time.time()``), so a
caller counts repeats by Message-ID. Run it in a process of its own (``serve``) to measure others.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import Callable
from typing import cast

MessageSeen = Callable[[str, float], None]
"""Told each accepted message's Message-ID (``-`` when it has none) and when it arrived."""

MAX_MESSAGE = 10 * 1024 * 1024
_END = b"\r\n.\r\n"


def message_id(data: bytes) -> str:
    """Return the Message-ID of a message as received (its header block), or ``-`` when none."""
    end = data.find(b"\r\n\r\n")
    head = data if end < 0 else data[: end + 2]
    lines = head.split(b"\r\n")
    for i, line in enumerate(lines):
        if line[:11].lower() != b"message-id:":
            continue
        value = line[11:]
        for more in lines[i + 1 :]:  # a folded header goes on in lines that start with a blank
            if more[:1] not in (b" ", b"\t"):
                break
            value += more
        found = value.strip().decode("ascii", "replace")
        return found or "-"
    return "-"


def unstuff(data: bytes) -> bytes:
    """Undo the dot stuffing of DATA (RFC 5321 4.5.2) of a message ending with CRLF."""
    if data.startswith(b".."):
        data = data[1:]
    return data.replace(b"\r\n..", b"\r\n.")


class SinkProtocol(asyncio.Protocol):
    """One SMTP conversation: commands by line, DATA until the lone dot."""

    def __init__(
        self, seen: MessageSeen, hostname: str = "127.0.0.1", starttls: ssl.SSLContext | None = None
    ) -> None:
        self._seen = seen
        self._hostname = hostname.encode()
        self._starttls = starttls
        self._upgrading = False
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._in_data = False
        self._greeted = False
        self._sender = False
        self._recipients = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Greet the client."""
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._transport.write(b"220 " + self._hostname + b" ESMTP bench sink\r\n")

    def data_received(self, data: bytes) -> None:
        """Take in what arrived: whole command lines and whole messages, replies in one write."""
        self._buffer += data
        replies: list[bytes] = []
        while self._transport is not None:
            if self._in_data:
                end = -2 if self._buffer.startswith(b".\r\n") else self._buffer.find(_END)
                if end == -1:
                    if len(self._buffer) > MAX_MESSAGE:
                        replies.append(b"552 message too big\r\n")
                        self._close(replies)
                    break
                body = bytes(self._buffer[: max(end + 2, 0)])
                del self._buffer[: end + 5]
                self._in_data = False
                self._reset()
                self._seen(message_id(unstuff(body)), time.time())
                replies.append(b"250 OK queued\r\n")
                continue
            end = self._buffer.find(b"\r\n")
            if end < 0:
                if len(self._buffer) > 4096:
                    replies.append(b"500 line too long\r\n")
                    self._close(replies)
                break
            line = bytes(self._buffer[:end])
            del self._buffer[: end + 2]
            reply = self._command(line)
            replies.append(reply)
            if reply.startswith(b"221"):
                self._close(replies)
                return
            if self._upgrading:  # nothing may follow STARTTLS before the handshake
                del self._buffer[:]
                break
        if replies and self._transport is not None:
            self._transport.write(b"".join(replies))
        if self._upgrading and self._transport is not None:
            asyncio.get_running_loop().create_task(self._upgrade(self._transport))

    async def _upgrade(self, transport: asyncio.Transport) -> None:
        """Take the TLS handshake of STARTTLS; the client greets again (RFC 3207)."""
        assert self._starttls is not None
        self._transport = None  # nothing read meanwhile is answered in plain text
        with contextlib.suppress(OSError, ssl.SSLError, ConnectionError):
            loop = asyncio.get_running_loop()
            upgraded = await loop.start_tls(transport, self, self._starttls, server_side=True)
            self._transport = cast(asyncio.Transport, upgraded)
            self._starttls = None  # offered no more
            self._greeted = False
        self._upgrading = False
        if self._transport is None:
            transport.close()
        elif self._buffer:  # the client's EHLO came with the end of the handshake
            self.data_received(b"")

    def _close(self, replies: list[bytes]) -> None:
        if self._transport is not None:
            self._transport.write(b"".join(replies))
            replies.clear()
            self._transport.close()
            self._transport = None

    def _reset(self) -> None:
        self._sender = False
        self._recipients = 0

    def _command(self, line: bytes) -> bytes:
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            self._greeted = True
            self._reset()
            if verb == b"HELO":
                return b"250 " + self._hostname + b"\r\n"
            return (
                b"250-"
                + self._hostname
                + b"\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
                + (b"250-STARTTLS\r\n" if self._starttls is not None else b"")
                + b"250-SIZE %d\r\n250 SMTPUTF8\r\n" % MAX_MESSAGE
            )
        if verb == b"STAR" and line.upper() == b"STARTTLS" and self._starttls is not None:
            self._upgrading = True
            self._reset()
            return b"220 ready to start TLS\r\n"
        if verb == b"MAIL":
            if not self._greeted:
                return b"503 say EHLO first\r\n"
            if self._sender:
                return b"503 nested MAIL\r\n"
            if not line[4:].upper().lstrip().startswith(b"FROM:"):
                return b"501 syntax: MAIL FROM:<address>\r\n"
            self._sender = True
            return b"250 OK\r\n"
        if verb == b"RCPT":
            if not self._sender:
                return b"503 need MAIL first\r\n"
            if not line[4:].upper().lstrip().startswith(b"TO:"):
                return b"501 syntax: RCPT TO:<address>\r\n"
            self._recipients += 1
            return b"250 OK\r\n"
        if verb == b"DATA":
            if not self._recipients:
                return b"503 need RCPT first\r\n"
            self._in_data = True
            return b"354 end with <CRLF>.<CRLF>\r\n"
        if verb == b"RSET":
            self._reset()
            return b"250 OK\r\n"
        if verb == b"NOOP":
            return b"250 OK\r\n"
        if verb == b"QUIT":
            return b"221 bye\r\n"
        return b"502 not implemented\r\n"

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the transport (a message cut off mid-DATA is not accepted)."""
        self._transport = None


async def start(
    seen: MessageSeen,
    port: int,
    host: str = "127.0.0.1",
    *,
    reuse_port: bool = False,
    tls: ssl.SSLContext | None = None,
    starttls: ssl.SSLContext | None = None,
) -> asyncio.Server:
    """Listen on ``host:port`` and return the server.

    ``reuse_port``: several processes share the port; ``tls``: implicit TLS with this server
    context; ``starttls``: STARTTLS offered with it.
    """
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SinkProtocol(seen, host, starttls), host, port, reuse_port=reuse_port or None,
        ssl=tls,
    )  # fmt: skip
