"""The bench's lean SMTP sink: real SMTP with aiosmtplib and by hand, Message-IDs and repeats."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiosmtplib
import pytest

from notify.adapters.base import Outgoing
from notify.adapters.email import MessageBuilder, SmtpSender, SmtpSettings
from notify.domain.model import Channel
from notify.domain.retry import Delivered
from notify.templates.render import Rendered
from notify.testing import smtp_sink
from notify.testing.servers import free_port

MESSAGE = Rendered(Channel.email, "交办：关于东湖镇老街排水管网改造的建议", ".点开头的一行\n正文")


@asynccontextmanager
async def sink() -> AsyncIterator[tuple[list[str], int]]:
    """Run the sink on loopback; yield the Message-IDs it accepted and its port."""
    seen: list[str] = []
    port = free_port()
    server = await smtp_sink.start(lambda ident, at: seen.append(ident), port)
    try:
        yield seen, port
    finally:
        server.close()
        await server.wait_closed()


async def test_notifys_sender_over_a_pool_delivers_every_message_once_by_message_id() -> None:
    async with sink() as (seen, port):
        sender = SmtpSender(SmtpSettings(port=port, pool=3))
        outcomes = await asyncio.gather(
            *(sender.send(Outgoing(f"d-{n}", "jtj@county.gov.cn", MESSAGE)) for n in range(30))
        )
        await sender.send(Outgoing("d-7", "jtj@county.gov.cn", MESSAGE))  # a resend: same id
        await sender.close()
    assert all(isinstance(o, Delivered) for o in outcomes)
    counts = Counter(seen)
    assert len(counts) == 30
    assert counts["<d-7@notify.npc.localhost>"] == 2
    assert sum(counts.values()) == 31


async def test_rset_and_noop_between_messages_over_one_connection() -> None:
    message = MessageBuilder(SmtpSettings()).build(Outgoing("dots", "a@county.gov.cn", MESSAGE))
    async with sink() as (seen, port):
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
        await client.connect()
        await client.sendmail("n@npc.cn", ["a@county.gov.cn"], message)
        await client.rset()
        code, _ = await client.noop()
        await client.sendmail("n@npc.cn", ["a@county.gov.cn"], b"Subject: x\r\n\r\n.dot\r\n")
        await client.quit()
    assert code == 250
    assert seen == ["<dots@notify.npc.localhost>", "-"]


def test_dot_stuffing_is_undone() -> None:
    assert (
        smtp_sink.unstuff(b"..first\r\nsecond\r\n..third\r\n") == b".first\r\nsecond\r\n.third\r\n"
    )


async def exchange(port: int, wire: bytes) -> list[bytes]:
    """Send raw bytes at once (pipelined, ending with QUIT); return every reply line until 221."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(wire + b"QUIT\r\n")
    await writer.drain()
    got: list[bytes] = []
    while line := await asyncio.wait_for(reader.readline(), 5):
        got.append(line)
    writer.close()
    return got


async def test_pipelined_commands_are_answered_in_order_and_headers_are_read_folded() -> None:
    wire = (
        b"EHLO bench\r\nMAIL FROM:<a@b.cn>\r\nRCPT TO:<c@d.cn>\r\nDATA\r\n"
        b"Subject: x\r\nmessage-id:\r\n <folded@x>\r\n\r\nMessage-ID: <in-body@x>\r\n.\r\n"
        b"MAIL FROM:<a@b.cn>\r\nRCPT TO:<c@d.cn>\r\nDATA\r\nSubject: none\r\n\r\nbody\r\n.\r\n"
    )
    async with sink() as (seen, port):
        got = await exchange(port, wire)
    codes = [line[:4] for line in got]
    assert codes[:5] == [b"220 ", b"250-", b"250-", b"250-", b"250-"]
    assert got[2] == b"250-PIPELINING\r\n"
    ok, go = b"250 ", b"354 "
    assert codes[5:] == [ok, ok, ok, go, ok, ok, ok, go, ok, b"221 "]
    assert seen == ["<folded@x>", "-"]


@pytest.mark.parametrize(
    ("wire", "code"),
    [
        (b"MAIL FROM:<a@b.cn>\r\n", b"503"),  # no EHLO
        (b"EHLO x\r\nRCPT TO:<c@d.cn>\r\n", b"503"),  # no MAIL
        (b"EHLO x\r\nMAIL FROM:<a@b.cn>\r\nDATA\r\n", b"503"),  # no RCPT
        (b"EHLO x\r\nVRFY root\r\n", b"502"),
    ],
)
async def test_commands_out_of_order_are_refused_and_nothing_is_accepted(
    wire: bytes, code: bytes
) -> None:
    async with sink() as (seen, port):
        got = await exchange(port, wire)
    assert got[-2][:3] == code
    assert seen == []
