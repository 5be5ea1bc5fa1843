"""Refuse text carrying NUL characters (U+0000) before any route sees it: PostgreSQL stores none.

A JSON string with ``\\u0000`` (at any depth, keys too), a query parameter or path with ``%00``,
a CSV or plain-text body with a NUL byte: 422, a validation problem naming the field
(``["body", "items", 0, "comment"]``, ``["query", "township"]``). Binary bodies (files,
spreadsheets, multipart) pass untouched. A body is scanned for the six bytes ``\\u0000`` (or a
NUL byte) first; only a hit parses it to name the field, so a clean request costs one scan.
Installed inside authentication (``build_app``): a caller without a token still gets 401 first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit.web.problems import FieldError, Problem, problem_response

NUL = "\x00"
_ESCAPED = b"\\u0000"
Loc = list[str | int]


def _media_type(scope: Scope) -> str:
    for name, value in scope.get("headers") or ():
        if name == b"content-type":
            return str(value.decode("latin-1")).split(";", 1)[0].strip().lower()
    return ""


def _nul_at(value: Any, loc: Loc) -> Iterator[Loc]:
    """Yield where a decoded JSON value holds a NUL character."""
    if isinstance(value, str):
        if NUL in value:
            yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                yield loc
            yield from _nul_at(item, [*loc, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_at(item, [*loc, index])


def in_url(scope: Scope) -> Loc | None:
    """Return where the path or the query string holds a NUL character, if anywhere."""
    if NUL in str(scope.get("path", "")):
        return ["path"]
    query: bytes = scope.get("query_string") or b""
    if b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if NUL in name or NUL in value:
                return ["query", name.replace(NUL, "")]
    return None


def in_body(body: bytes, media_type: str) -> Loc | None:
    """Return where a JSON or text body holds a NUL character, if anywhere."""
    if media_type.startswith("text/"):
        return ["body"] if b"\x00" in body else None
    if _ESCAPED not in body:  # a raw NUL byte is not JSON: the route's own parser refuses it
        return None
    try:
        decoded = json.loads(body)
    except ValueError:
        return None  # not JSON: the route answers that itself
    return next(_nul_at(decoded, ["body"]), None)


def _checks_body(media_type: str) -> bool:
    return media_type.startswith("text/") or media_type.endswith("json")


async def _read(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole body; return it and a ``receive`` that hands it to the app again."""
    first = await receive()
    if first["type"] != "http.request" or not first.get("more_body", False):
        body = first.get("body", b"")
        replay: Message = first
    else:
        chunks = [first.get("body", b"")]
        while True:
            message = await receive()
            if message["type"] != "http.request":
                replay = message  # the client left: the app sees the disconnect
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                replay = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
                break
        body = b"".join(chunks)
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return replay
        return await receive()

    return body, again


class NulGuard:
    """Plain ASGI middleware: 422 for a request whose text holds a NUL character."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = in_url(scope)
        media_type = _media_type(scope)
        if where is None and _checks_body(media_type):
            body, receive = await _read(receive)
            where = in_body(body, media_type)
        if where is None:
            await self.app(scope, receive, send)
            return
        problem = Problem(
            title="Unprocessable Content",
            status=422,
            detail="1 invalid field(s)",
            instance=str(scope.get("path", "")).replace(NUL, ""),
            errors=[FieldError(loc=where, msg="must not contain NUL (U+0000)", type="nul_char")],
        )
        await problem_response(problem)(scope, receive, send)


def install_nul_guard(app: FastAPI) -> None:
    """Refuse NUL characters in every route's path, query and JSON or text body (422)."""
    app.add_middleware(NulGuard)
