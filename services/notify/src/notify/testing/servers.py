"""Real local servers for tests, benches and demos: an SMTP sink and a scripted HTTP endpoint.

Both listen on loopback in a thread of their own, so the code under test talks to them over real
sockets exactly as to a mail server, an SMS gateway or a group-robot webhook. The SMTP sink needs
``aiosmtpd`` (a development dependency).
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


def free_port() -> int:
    """Return a TCP port on loopback that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class MailSink:
    """Keeps what an SMTP server received; answers RCPT with a scripted code per address."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: list[float] = field(default_factory=list)
    """When each message arrived (``time.time()``), in the order of ``messages``."""
    pipelining: bool = False
    """Offer PIPELINING in the EHLO reply (aiosmtpd reads pipelined commands line by line)."""

    async def handle_EHLO(  # noqa: N802 (aiosmtpd's hook name)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        """Answer EHLO with aiosmtpd's extensions, and PIPELINING when it is offered."""
        session.host_name = hostname
        offered = ["250-PIPELINING"] if self.pipelining else []
        return [*responses[:-1], *offered, responses[-1]]  # the last line ends the reply

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        """Refuse an address with its scripted reply, accept the others."""
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        """Keep the message as parsed MIME."""
        raw = envelope.original_content or b""
        parsed = message_from_bytes(raw, policy=policy.default)
        with self.lock:
            self.messages.append(parsed)
            self.arrived.append(time.time())
        return "250 Message accepted"

    def received(self) -> list[EmailMessage]:
        """Return a copy of the messages received so far."""
        with self.lock:
            return list(self.messages)


def _authenticator(credentials: tuple[str, str]) -> Callable[..., AuthResult]:
    user, password = credentials

    def check(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            user.encode(),
            password.encode(),
        )
        return AuthResult(success=ok, handled=False)  # the server sends 235 or 535 itself

    return check


@contextmanager
def smtp_server(
    idle_timeout: float = 300,
    credentials: tuple[str, str] | None = None,
    *,
    pipelining: bool = False,
    tls: ssl.SSLContext | None = None,
) -> Iterator[tuple[MailSink, int]]:
    """Run an SMTP server on loopback; yield its sink and port.

    It hangs up connections idle for ``idle_timeout`` seconds; with ``credentials`` it requires
    AUTH (over plain TCP: loopback only); ``pipelining`` offers PIPELINING; with ``tls`` (a server
    context) it offers STARTTLS and requires it.
    """
    sink = MailSink(pipelining=pipelining)
    port = free_port()
    auth: dict[str, Any] = {}
    if credentials is not None:
        auth = {
            "auth_required": True,
            "auth_require_tls": False,
            "authenticator": _authenticator(credentials),
        }
    if tls is not None:
        auth.update(tls_context=tls, require_starttls=True)
    controller = Controller(sink, hostname="127.0.0.1", port=port, timeout=idle_timeout, **auth)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@dataclass(frozen=True)
class Scripted:
    """One scripted answer: status, JSON body, headers, and a delay before answering."""

    status: int = 200
    body: Any = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """Return the body parsed as JSON."""
        return json.loads(self.body)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        answer = self.server.endpoint.record(Seen(self.path, dict(self.headers.items()), body))
        time.sleep(answer.delay)
        payload = json.dumps(answer.body, ensure_ascii=False).encode()
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    endpoint: HttpEndpoint


@dataclass
class HttpEndpoint:
    """A scripted HTTP endpoint: answers come from ``script`` in turn, then ``default``."""

    script: list[Scripted] = field(default_factory=list)
    default: Scripted = field(default_factory=Scripted)
    seen: list[Seen] = field(default_factory=list)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, request: Seen) -> Scripted:
        """Keep a request and return the answer it gets."""
        with self.lock:
            self.seen.append(request)
            return self.script.pop(0) if self.script else self.default

    def url(self, path: str = "/") -> str:
        """Return the URL of a path on this endpoint."""
        return f"http://127.0.0.1:{self.port}{path}"

    def requests(self) -> list[Seen]:
        """Return a copy of the requests received so far."""
        with self.lock:
            return list(self.seen)


@contextmanager
def http_endpoint(*script: Scripted, default: Scripted | None = None) -> Iterator[HttpEndpoint]:
    """Run a scripted HTTP endpoint on loopback."""
    endpoint = HttpEndpoint(list(script), default or Scripted())
    server = _Server(("127.0.0.1", 0), _Handler)
    server.endpoint = endpoint
    endpoint.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, name="http-endpoint", daemon=True)
    thread.start()
    try:
        yield endpoint
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
