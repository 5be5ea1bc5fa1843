"""SMTP e-mail against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from notify.adapters.base import Outgoing
from notify.adapters.email import MessageBuilder, SmtpSender, SmtpSettings, _stuffed
from notify.domain.model import Channel
from notify.domain.retry import Delivered, Failed, Failure
from notify.templates.render import Rendered
from notify.testing import smtp_sink
from notify.testing.servers import free_port, smtp_server

MESSAGE = Rendered(
    Channel.email, "交办：关于东湖镇老街排水管网改造的建议", "县交通运输局：\n\n请按期办理。"
)


@pytest.fixture(params=[False, True], ids=["aiosmtplib", "pipelined"])
def pipelining(request: pytest.FixtureRequest) -> bool:
    """Whether the server offers PIPELINING: the sender's own pipelined path, else aiosmtplib's."""
    return bool(request.param)


def outgoing(address: str, delivery_id: str = "4b7c1e2a-0000-5000-8000-000000000001") -> Outgoing:
    """Return an outgoing e-mail."""
    return Outgoing(delivery_id, address, MESSAGE)


async def test_an_email_arrives_with_chinese_subject_body_and_the_stable_message_id(
    pipelining: bool,
) -> None:
    with smtp_server(pipelining=pipelining) as (sink, port):
        sender = SmtpSender(SmtpSettings(port=port))
        outcome = await sender.send(outgoing("jtj@county.gov.cn"))
        await sender.close()
    assert outcome == Delivered("<4b7c1e2a-0000-5000-8000-000000000001@notify.npc.localhost>")
    [mail] = sink.received()
    assert mail["To"] == "jtj@county.gov.cn"
    assert mail["Subject"] == MESSAGE.title
    assert mail["Message-ID"] == "<4b7c1e2a-0000-5000-8000-000000000001@notify.npc.localhost>"
    assert mail["X-Notify-Delivery"] == "4b7c1e2a-0000-5000-8000-000000000001"
    body = mail.get_body(("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n").strip() == MESSAGE.body


async def test_one_connection_carries_many_messages(pipelining: bool) -> None:
    with smtp_server(pipelining=pipelining) as (sink, port):
        sender = SmtpSender(SmtpSettings(port=port))
        for n in range(5):
            assert isinstance(
                await sender.send(outgoing(f"u{n}@county.gov.cn", f"id-{n}")), Delivered
            )
        await sender.close()
    assert [m["To"] for m in sink.received()] == [f"u{n}@county.gov.cn" for n in range(5)]


@pytest.mark.parametrize(
    ("reply", "failure"),
    [
        ("550 5.1.1 No such user", Failure.permanent),
        ("553 5.1.3 Bad address syntax", Failure.permanent),
        ("450 4.2.1 Mailbox busy, try later", Failure.transient),
        ("451 4.7.1 Greylisted", Failure.transient),
    ],
)
async def test_refused_recipients_are_classified_by_reply_code(
    reply: str, failure: Failure, pipelining: bool
) -> None:
    with smtp_server(pipelining=pipelining) as (sink, port):
        sink.refuse["nobody@county.gov.cn"] = reply
        sender = SmtpSender(SmtpSettings(port=port))
        outcome = await sender.send(outgoing("nobody@county.gov.cn"))
        # the connection recovers: the next message goes out
        after = await sender.send(outgoing("jtj@county.gov.cn"))
        await sender.close()
    assert isinstance(outcome, Failed)
    assert outcome.failure is failure
    assert "nobody" not in outcome.reason  # no address in the reason
    assert reply[:3] in outcome.reason
    assert isinstance(after, Delivered)


async def test_a_malformed_address_is_permanent_without_a_connection() -> None:
    sender = SmtpSender(SmtpSettings(port=free_port()))
    outcome = await sender.send(outgoing("not-an-address"))
    assert outcome == Failed(Failure.permanent, "not an e-mail address")


async def test_no_server_is_transient() -> None:
    sender = SmtpSender(SmtpSettings(port=free_port(), timeout=2))
    outcome = await sender.send(outgoing("jtj@county.gov.cn"))
    assert isinstance(outcome, Failed)
    assert outcome.failure is Failure.transient


async def test_a_server_that_went_away_is_a_transient_failure(pipelining: bool) -> None:
    with smtp_server(pipelining=pipelining) as (_, first_port):
        sender = SmtpSender(SmtpSettings(port=first_port, timeout=2))
        assert isinstance(await sender.send(outgoing("a@county.gov.cn")), Delivered)
    # the server stopped: the kept connection is dead, and nothing listens
    down = await sender.send(outgoing("b@county.gov.cn"))
    assert isinstance(down, Failed)
    assert down.failure is Failure.transient


async def test_a_connection_the_server_closed_when_idle_is_reopened_at_once(
    pipelining: bool,
) -> None:
    with smtp_server(idle_timeout=0.3, pipelining=pipelining) as (sink, port):
        sender = SmtpSender(SmtpSettings(port=port))
        assert isinstance(await sender.send(outgoing("a@county.gov.cn", "id-a")), Delivered)
        await asyncio.sleep(1.0)  # longer than the server's idle timeout: it hangs up
        outcome = await sender.send(outgoing("b@county.gov.cn", "id-b"))
        await sender.close()
    assert isinstance(outcome, Delivered)
    assert [m["To"] for m in sink.received()] == ["a@county.gov.cn", "b@county.gov.cn"]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # loopback only
async def test_credentials_are_used_and_wrong_ones_fail_permanently(pipelining: bool) -> None:
    with smtp_server(credentials=("notify", "pw-1"), pipelining=pipelining) as (sink, port):
        good = SmtpSender(SmtpSettings(port=port, username="notify", password="pw-1"))
        delivered = await good.send(outgoing("a@county.gov.cn"))
        await good.close()
        bad = SmtpSender(SmtpSettings(port=port, username="notify", password="wrong"))
        refused = await bad.send(outgoing("b@county.gov.cn"))
        anonymous = SmtpSender(SmtpSettings(port=port))
        unauthenticated = await anonymous.send(outgoing("c@county.gov.cn"))
    assert isinstance(delivered, Delivered)
    assert refused == Failed(Failure.permanent, "SMTP 535")
    assert isinstance(unauthenticated, Failed)
    assert unauthenticated.failure is Failure.permanent  # 530 authentication required
    assert [m["To"] for m in sink.received()] == ["a@county.gov.cn"]


async def test_a_pool_sends_concurrently_over_at_most_its_connections_and_counts_them(
    pipelining: bool,
) -> None:
    seen: list[str] = []
    with smtp_server(pipelining=pipelining) as (sink, port):
        sender = SmtpSender(SmtpSettings(port=port, pool=3), seen.append)
        outcomes = await asyncio.gather(
            *(sender.send(outgoing(f"u{n}@county.gov.cn", f"id-{n}")) for n in range(20))
        )
        await sender.close()
    assert all(isinstance(o, Delivered) for o in outcomes)
    assert sorted(m["X-Notify-Delivery"] for m in sink.received()) == sorted(
        f"id-{n}" for n in range(20)
    )
    assert seen == ["opened"] * 3  # three kept-open connections carried the twenty messages


async def test_pool_connection_failures_and_drops_are_told(pipelining: bool) -> None:
    seen: list[str] = []
    sender = SmtpSender(SmtpSettings(port=free_port(), timeout=2, pool=2), seen.append)
    down = await sender.send(outgoing("a@county.gov.cn"))
    assert isinstance(down, Failed)
    assert down.failure is Failure.transient
    assert seen == ["failed"]
    with smtp_server(pipelining=pipelining) as (sink, port):
        sink.refuse["nobody@county.gov.cn"] = "550 5.1.1 No such user"
        seen.clear()
        sender = SmtpSender(SmtpSettings(port=port, pool=2), seen.append)
        refused = await sender.send(outgoing("nobody@county.gov.cn"))
        after = await sender.send(outgoing("jtj@county.gov.cn"))
        await sender.close()
    assert isinstance(refused, Failed)
    assert isinstance(after, Delivered)
    assert seen == ["opened", "dropped", "opened"]  # the refused one's connection was replaced


def test_a_long_mixed_subject_and_the_sender_fold_into_short_lines_and_parse_back() -> None:
    title = "交办：关于东湖镇G320国道沿线“Smart路灯”改造及老街排水管网（二期）的建议事项办理"
    settings = SmtpSettings(sender_name='县人大 "代表" 平台')
    raw = MessageBuilder(settings).build(
        Outgoing("d-1", "jtj@county.gov.cn", Rendered(Channel.email, title, "正文\n第二行"))
    )
    head, _, _ = raw.partition(b"\r\n\r\n")
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    mail = message_from_bytes(raw, policy=policy.default)
    assert mail["Subject"] == title
    assert mail["From"].addresses[0].display_name == '县人大 "代表" 平台'
    assert mail["From"].addresses[0].addr_spec == "notify@npc.localhost"
    assert mail["Message-ID"] == "<d-1@notify.npc.localhost>"
    assert mail.get_content().replace("\r\n", "\n") == "正文\n第二行"
    ascii_name = MessageBuilder(SmtpSettings(sender_name="NPC Office")).build(
        Outgoing("d-2", "jtj@county.gov.cn", Rendered(Channel.email, "Assigned", "body"))
    )
    parsed = message_from_bytes(ascii_name, policy=policy.default)
    assert parsed["From"] == "NPC Office <notify@npc.localhost>"
    assert parsed["Subject"] == "Assigned"


class _Recording(smtp_sink.SinkProtocol):
    """The lean sink (it offers PIPELINING), keeping what each read brought."""

    chunks: list[bytes]

    def data_received(self, data: bytes) -> None:
        """Keep the chunk, then answer as the sink does."""
        self.chunks.append(data)
        super().data_received(data)


async def test_a_pipelining_server_gets_mail_rcpt_and_data_in_one_write_and_the_message_in_another() -> (
    None
):
    chunks: list[bytes] = []
    seen: list[str] = []

    def protocol() -> _Recording:
        made = _Recording(lambda ident, at: seen.append(ident))
        made.chunks = chunks
        return made

    port = free_port()
    server = await asyncio.get_running_loop().create_server(protocol, "127.0.0.1", port)
    try:
        sender = SmtpSender(SmtpSettings(port=port, pool=1))
        body = Rendered(Channel.email, "标题", ".一行以点开头\n正文")  # base64: no dot to stuff
        for n in range(3):
            outcome = await sender.send(Outgoing(f"id-{n}", f"u{n}@county.gov.cn", body))
            assert outcome == Delivered(f"<id-{n}@notify.npc.localhost>")
        await sender.close()
    finally:
        server.close()
        await server.wait_closed()
    assert seen == [f"<id-{n}@notify.npc.localhost>" for n in range(3)]
    envelopes = [c for c in chunks if c.startswith(b"MAIL FROM:")]
    assert len(envelopes) == 3
    for n, envelope in enumerate(envelopes):  # one write: MAIL, RCPT and DATA
        assert envelope.startswith(b"MAIL FROM:<notify@npc.localhost> SIZE=")
        assert envelope.endswith(b"\r\nRCPT TO:<u%d@county.gov.cn>\r\nDATA\r\n" % n)
    messages = [c for c in chunks if c.endswith(b"\r\n.\r\n")]
    assert len(messages) == 3  # and the message in a write of its own


def test_data_is_dot_stuffed_and_crlf_ended() -> None:
    assert _stuffed(b".a\r\n.b\r\nc") == b"..a\r\n..b\r\nc\r\n"
    assert _stuffed(b"a\r\n") == b"a\r\n"


def _tls_contexts(tmp_path: Path) -> ssl.SSLContext:
    """Return a server context with a fresh self-signed certificate for 127.0.0.1."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # loopback only
async def test_starttls_then_auth_then_pipelined_mail(tmp_path: Path, pipelining: bool) -> None:
    tls = _tls_contexts(tmp_path)
    with smtp_server(credentials=("notify", "pw-1"), pipelining=pipelining, tls=tls) as (
        sink,
        port,
    ):
        settings = SmtpSettings(
            port=port, starttls=True, validate_certs=False, username="notify", password="pw-1"
        )
        sender = SmtpSender(settings)
        outcomes = [await sender.send(outgoing(f"u{n}@county.gov.cn", f"id-{n}")) for n in range(3)]
        plain = SmtpSender(SmtpSettings(port=port, starttls=False))  # STARTTLS required: refused
        refused = await plain.send(outgoing("x@county.gov.cn", "id-x"))
        await sender.close()
    assert outcomes == [Delivered(f"<id-{n}@notify.npc.localhost>") for n in range(3)]
    assert [m["X-Notify-Delivery"] for m in sink.received()] == ["id-0", "id-1", "id-2"]
    assert isinstance(refused, Failed)


class _Dribbling(asyncio.Protocol):
    """A scripted SMTP server writing its replies one byte at a time (multi-line EHLO, PIPELINING)."""

    def __init__(self, rcpt: bytes = b"250 OK\r\n") -> None:
        self.rcpt = rcpt
        self.buffer = b""
        self.in_data = False
        self.messages: list[bytes] = []
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Greet."""
        self.transport = transport  # type: ignore[assignment]
        self.dribble(b"220 scripted\r\n")

    def dribble(self, data: bytes) -> None:
        """Write ``data`` a byte a loop turn."""
        loop = asyncio.get_running_loop()
        for n in range(len(data)):
            loop.call_soon(self.write, data[n : n + 1])

    def write(self, byte: bytes) -> None:
        """Write one byte while connected."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(byte)

    def data_received(self, data: bytes) -> None:
        """Answer whole lines; keep messages."""
        self.buffer += data
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    return
                self.messages.append(self.buffer[: end + 2])
                self.buffer = self.buffer[end + 5 :]
                self.in_data = False
                self.dribble(b"250 queued\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                return
            line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.dribble(
                    b"250-scripted\r\n250-PIPELINING\r\n250-SIZE 1000000\r\n250 8BITMIME\r\n"
                )
            elif verb == b"MAIL":
                self.dribble(b"250 OK\r\n")
            elif verb == b"RCPT":
                self.dribble(self.rcpt)
            elif verb == b"DATA":
                self.in_data = self.rcpt.startswith(b"250")
                self.dribble(b"354 go\r\n" if self.in_data else b"554 no valid recipients\r\n")
            elif verb == b"QUIT":
                self.dribble(b"221 bye\r\n")
            else:
                self.dribble(b"502 no\r\n")


@pytest.mark.parametrize(
    ("rcpt", "expected"),
    [
        (b"250 OK\r\n", Delivered("<id-1@notify.npc.localhost>")),
        (b"550-5.1.1 no such\r\n550 5.1.1 user\r\n", Failed(Failure.permanent, "SMTP 550: recipient refused")),
        (b"451 4.7.1 later\r\n", Failed(Failure.transient, "SMTP 451: recipient refused")),
    ],
)  # fmt: skip
async def test_pipelined_replies_are_paired_however_the_server_splits_them(
    rcpt: bytes, expected: object
) -> None:
    servers: list[_Dribbling] = []

    def made() -> _Dribbling:
        servers.append(_Dribbling(rcpt))
        return servers[-1]

    port = free_port()
    server = await asyncio.get_running_loop().create_server(made, "127.0.0.1", port)
    try:
        sender = SmtpSender(SmtpSettings(port=port, pool=1, timeout=5))
        outcome = await sender.send(outgoing("a@county.gov.cn", "id-1"))
        await sender.close()
    finally:
        server.close()
        await server.wait_closed()
    assert outcome == expected
    delivered = [m for s in servers for m in s.messages]
    assert len(delivered) == (1 if isinstance(expected, Delivered) else 0)


async def test_a_pipelined_connection_on_which_the_server_spoke_unasked_is_replaced() -> None:
    servers: list[_Dribbling] = []

    def made() -> _Dribbling:
        servers.append(_Dribbling())
        return servers[-1]

    port = free_port()
    server = await asyncio.get_running_loop().create_server(made, "127.0.0.1", port)
    seen: list[str] = []
    try:
        sender = SmtpSender(SmtpSettings(port=port, pool=1, timeout=5), seen.append)
        first = await sender.send(outgoing("a@county.gov.cn", "id-1"))
        servers[0].dribble(b"421 4.4.2 idle too long\r\n")  # and keeps the connection open
        await asyncio.sleep(0.2)
        second = await sender.send(outgoing("b@county.gov.cn", "id-2"))
        await sender.close()
    finally:
        server.close()
        await server.wait_closed()
    assert (first, second) == (
        Delivered("<id-1@notify.npc.localhost>"),
        Delivered("<id-2@notify.npc.localhost>"),
    )
    assert seen == ["opened", "opened"]  # the second message went on a new connection
    assert [len(s.messages) for s in servers] == [1, 1]


class _Secure(smtp_sink.SinkProtocol):
    """The lean sink keeping each read's plain text and whether it came over TLS."""

    reads: list[tuple[bool, bytes]]

    def data_received(self, data: bytes) -> None:
        """Keep the read, then answer as the sink does."""
        if data:
            transport = self._transport
            secure = transport is not None and transport.get_extra_info("ssl_object") is not None
            self.reads.append((secure, data))
        super().data_received(data)


@pytest.mark.parametrize("kind", ["tls", "starttls"])
async def test_the_pipelined_path_runs_over_implicit_tls_and_starttls(
    tmp_path: Path, kind: str
) -> None:
    tls = _tls_contexts(tmp_path)
    reads: list[tuple[bool, bytes]] = []
    seen: list[str] = []

    def protocol() -> _Secure:
        made = _Secure(
            lambda ident, at: seen.append(ident), starttls=tls if kind == "starttls" else None
        )
        made.reads = reads
        return made

    port = free_port()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        protocol, "127.0.0.1", port, ssl=tls if kind == "tls" else None
    )
    try:
        settings = SmtpSettings(
            port=port,
            use_tls=kind == "tls",
            starttls=kind == "starttls",  # required: no mail in plain text
            validate_certs=False,  # a self-signed certificate
            pool=2,
        )
        sender = SmtpSender(settings)
        outcomes = await asyncio.gather(
            *(sender.send(outgoing(f"u{n}@county.gov.cn", f"id-{n}")) for n in range(6))
        )
        await sender.close()
    finally:
        server.close()
        await server.wait_closed()
    assert list(outcomes) == [Delivered(f"<id-{n}@notify.npc.localhost>") for n in range(6)]
    assert sorted(seen) == [f"<id-{n}@notify.npc.localhost>" for n in range(6)]
    envelopes = [(secure, r) for secure, r in reads if r.startswith(b"MAIL FROM:")]
    assert len(envelopes) == 6
    for secure, envelope in envelopes:  # pipelined: MAIL, RCPT and DATA in one TLS read
        assert secure
        assert b"\r\nRCPT TO:<u" in envelope
        assert envelope.endswith(b"\r\nDATA\r\n")
    assert all(secure for secure, r in reads if r.endswith(b"\r\n.\r\n"))
    if kind == "starttls":
        assert any(not secure and r.upper().startswith(b"STARTTLS") for secure, r in reads)
