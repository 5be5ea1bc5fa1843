"""Correlation ids: taken from the request (or made), logged, and put on every event it causes."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit.logging import correlation_id

HEADER = "X-Correlation-ID"


def current() -> str:
    """Return the correlation id of the current request or event, making one if there is none."""
    value = correlation_id.get()
    if value is None:
        value = uuid.uuid4().hex
        correlation_id.set(value)
    return value


class CorrelationMiddleware:
    """Plain ASGI middleware: adopt or make the correlation id, echo it on the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(HEADER, "")
        value = given if 0 < len(given) <= 120 else uuid.uuid4().hex

        async def echo(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = value
            await send(message)

        token = correlation_id.set(value)
        try:
            await self.app(scope, receive, echo)
        finally:
            correlation_id.reset(token)


def install_correlation(app: FastAPI) -> None:
    """Adopt the caller's `X-Correlation-ID` (or make one) and echo it on the response."""
    app.add_middleware(CorrelationMiddleware)
