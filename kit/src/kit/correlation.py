"""Correlation ids: taken from the request (or made), logged, and put on every event it causes."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from kit.logging import correlation_id

HEADER = "X-Correlation-ID"


def current() -> str:
    """Return the correlation id of the current request or event, making one if there is none."""
    value = correlation_id.get()
    if value is None:
        value = uuid.uuid4().hex
        correlation_id.set(value)
    return value


def install_correlation(app: FastAPI) -> None:
    """Adopt the caller's `X-Correlation-ID` (or make one) and echo it on the response."""

    @app.middleware("http")
    async def correlate(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        given = request.headers.get(HEADER, "")
        value = given if 0 < len(given) <= 120 else uuid.uuid4().hex
        token = correlation_id.set(value)
        try:
            response = await call_next(request)
        finally:
            correlation_id.reset(token)
        response.headers[HEADER] = value
        return response
