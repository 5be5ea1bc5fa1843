"""An SMTP server in processes of its own for benches: each message's delivery id and arrival time.

A bench that measures notify (or the whole platform) must not pay for the mail server it sends
to: run in the bench's own process, aiosmtpd and the parsing of each message took a core's share
and the GIL from the bench's clocks. ``smtp_process`` starts ``python -m
notify.testing.sink_process PORT KIND`` (one or more processes sharing the port through
SO_REUSEPORT) and follows what they report: ``<arrival time> <delivery id>`` a line (the
Message-ID's local part, which notify sets to the delivery id), written in bulk every 10 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import uvloop

from notify.testing import smtp_sink
from notify.testing.servers import free_port

KINDS = ("lean", "aiosmtpd")
"""``lean``: notify.testing.smtp_sink; ``aiosmtpd``: aiosmtpd with a handler that only notes."""


class Lines:
    """What a sink process tells its parent: ``<arrival time> <delivery id>`` a line, in bulk."""

    def __init__(self) -> None:
        self.waiting: list[str] = []

    def seen(self, message_id: str, arrived: float) -> None:
        """Note one accepted message (its delivery id is the Message-ID's local part)."""
        ident = message_id.strip("<>").split("@", 1)[0] or "-"
        self.waiting.append(f"{arrived} {ident}\n")

    async def flush_every(self, seconds: float) -> None:
        """Write what was noted every ``seconds`` (one write, not one a message)."""
        while True:
            await asyncio.sleep(seconds)
            if self.waiting:
                lines, self.waiting = self.waiting, []
                sys.stdout.write("".join(lines))
                sys.stdout.flush()


class AiosmtpdHandler:
    """aiosmtpd's handler of the ``aiosmtpd`` kind: the Message-ID of each message."""

    def __init__(self, lines: Lines) -> None:
        self.lines = lines

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Note the message's Message-ID and when it arrived."""
        self.lines.seen(smtp_sink.message_id(envelope.original_content or b""), time.time())
        return "250 Message accepted"


async def serve(port: int, kind: str) -> None:
    """Run an SMTP server on loopback in this process until killed, sharing the port."""
    lines = Lines()
    if kind == "lean":
        server = await smtp_sink.start(lines.seen, port, reuse_port=True)
    else:
        from aiosmtpd.smtp import SMTP

        handler = AiosmtpdHandler(lines)
        server = await asyncio.get_running_loop().create_server(
            lambda: SMTP(handler, hostname="127.0.0.1"), "127.0.0.1", port, reuse_port=True
        )
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    flusher = asyncio.create_task(lines.flush_every(0.01))
    async with server:
        await server.serve_forever()
    flusher.cancel()


class Received:
    """What the SMTP server processes report: delivery ids in arrival order, and when."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.arrived: list[float] = []
        self.pids: list[int] = []
        """The server processes (a bench reads their CPU time)."""

    def clear(self) -> None:
        """Forget what arrived so far."""
        self.ids.clear()
        self.arrived.clear()

    async def follow(self, stream: asyncio.StreamReader) -> None:
        """Read a server's lines until it ends."""
        while line := await stream.readline():
            at, ident = line.decode().split()
            self.ids.append(ident)
            self.arrived.append(float(at))


@contextlib.asynccontextmanager
async def smtp_process(
    kind: str = "lean", processes: int = 1
) -> AsyncIterator[tuple[Received, int]]:
    """Start the SMTP server in processes of their own on one port; yield what they receive, the port."""
    port = free_port()
    command = (sys.executable, "-m", "notify.testing.sink_process", str(port), kind)
    servers = [
        await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
        for _ in range(processes)
    ]
    received = Received()
    received.pids = [server.pid for server in servers]
    followers = []
    try:
        for server in servers:
            assert server.stdout is not None
            ready = await asyncio.wait_for(server.stdout.readline(), timeout=60)
            assert ready.strip() == b"ready"
            followers.append(asyncio.create_task(received.follow(server.stdout)))
        yield received, port
    finally:
        for server in servers:
            server.kill()
            await server.wait()
        for follower in followers:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower


def main(argv: list[str] | None = None) -> None:
    """Serve SMTP on the given port until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("kind", choices=KINDS)
    args = parser.parse_args(argv)
    uvloop.run(serve(args.port, args.kind))


if __name__ == "__main__":
    main()
