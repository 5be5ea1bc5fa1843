"""Development mode only: ``X-Dev-Clock: <ISO instant>`` pins the handlers' clock for one request.

Installed by ``build_app`` when ``dev_mode`` is on (``./dev run``); the demo loader plays a past
year through the public API with it. Without development mode the header is not read at all, and
the services' contexts keep the real clock (``HandlerContext.on``).
"""

from __future__ import annotations

import json
from datetime import datetime

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from kit.clock import pin, unpin

HEADER = "X-Dev-Clock"


def parse(value: str) -> datetime | None:
    """Return the aware instant an ``X-Dev-Clock`` value names, or None when it names none."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


class DevClockMiddleware:
    """Plain ASGI middleware: pin the clock to the request's ``X-Dev-Clock`` instant."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = Headers(scope=scope).get(HEADER) if scope["type"] == "http" else None
        if given is None:
            await self.app(scope, receive, send)
            return
        at = parse(given)
        if at is None:
            body = json.dumps(
                {
                    "title": "Bad Request",
                    "status": 400,
                    "detail": f"{HEADER} is not an aware ISO instant",
                }
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [(b"content-type", b"application/problem+json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        token = pin(at)
        try:
            await self.app(scope, receive, send)
        finally:
            unpin(token)


def install_dev_clock(app: FastAPI) -> None:
    """Let a request pin the clock with ``X-Dev-Clock`` (call only in development mode)."""
    app.add_middleware(DevClockMiddleware)
