"""The platform as the loader sees it: four base URLs, tokens per role and one request helper.

Every write goes through a service's public HTTP API with a bearer token. Creations carry an
``Idempotency-Key`` derived from what they create, so a rerun gets the first answer back; a
request played on a past day carries ``X-Dev-Clock`` (honoured only by services in development
mode, see ``kit.web.devclock``). A 503 or a 409 "in progress" is retried after ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx

from kit.auth import AuthConfig
from kit.auth.tokens import DEV_SECRET
from kit.clock import CHINA
from kit.principal import Principal, Role

SERVICES = ("deputies", "cases", "scoring", "notify")


class LoadError(RuntimeError):
    """A request the loader needed was refused."""


@dataclass(frozen=True)
class Urls:
    """Where each service listens."""

    deputies: str = "http://127.0.0.1:8001"
    cases: str = "http://127.0.0.1:8002"
    scoring: str = "http://127.0.0.1:8003"
    notify: str = "http://127.0.0.1:8004"

    def of(self, service: str) -> str:
        """Return one service's base URL."""
        return str(getattr(self, service))


def ten_oclock(day: date) -> str:
    """Return 10:00 China time on ``day`` as the ``X-Dev-Clock`` value."""
    return datetime.combine(day, time(10), CHINA).isoformat()


@dataclass
class Platform:
    """HTTP clients of the four services and the tokens the loader's people act with."""

    urls: Urls
    secret: str = field(default_factory=lambda: os.environ.get("JWT_SECRET") or DEV_SECRET)
    issuer: str = field(default_factory=lambda: os.environ.get("JWT_ISSUER", "npc-platform"))
    audience: str = field(default_factory=lambda: os.environ.get("JWT_AUDIENCE", "npc-platform"))
    timeout: float = 60.0
    requests: int = 0
    _clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    _tokens: dict[tuple[str, str, str], str] = field(default_factory=dict)

    async def __aenter__(self) -> Platform:
        for name in SERVICES:
            self._clients[name] = httpx.AsyncClient(
                base_url=self.urls.of(name), timeout=self.timeout
            )
        return self

    async def __aexit__(self, *_: object) -> None:
        for client in self._clients.values():
            await client.aclose()

    def token(self, role: Role, scope: str, *, who: str = "", name: str = "") -> str:
        """Return a bearer token of one role (a deputy's or unit's id in ``who``)."""
        key = (role.value, scope, who)
        if key not in self._tokens:
            principal = Principal(
                subject=f"county-loader-{role.value}-{who or scope}",
                roles=frozenset({role}),
                scope=scope,
                name=name,
                deputy_id=who if role is Role.deputy else None,
                unit_id=who if role is Role.handling_unit else None,
            )
            config = AuthConfig(secret=self.secret, issuer=self.issuer, audience=self.audience)
            self._tokens[key] = config.issue(principal, ttl=timedelta(hours=8))
        return self._tokens[key]

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        token: str,
        *,
        body: Any = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: dict[str, Any] | None = None,
        key: str | None = None,
        version: int | None = None,
        day: date | None = None,
        ok: tuple[int, ...] = (200, 201, 204),
    ) -> httpx.Response:
        """Send one request; retry while the service is busy; raise ``LoadError`` on a refusal."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if key is not None:
            headers["Idempotency-Key"] = key
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        if day is not None:
            headers["X-Dev-Clock"] = ten_oclock(day)
        if content_type is not None:
            headers["Content-Type"] = content_type
        client = self._clients[service]
        for attempt in range(30):
            self.requests += 1
            try:
                response = await client.request(
                    method, path, headers=headers, json=body, content=content, params=params
                )
            except httpx.TransportError:
                if attempt == 29:
                    raise
                await asyncio.sleep(1)
                continue
            if response.status_code in (503, 409) and "retry-after" in response.headers:
                await asyncio.sleep(min(float(response.headers["retry-after"]), 5))
                continue
            if response.status_code not in ok:
                raise LoadError(
                    f"{service} {method} {path}: {response.status_code} {response.text[:500]}"
                )
            return response
        raise LoadError(f"{service} {method} {path}: still busy after 30 attempts")

    async def get(
        self, service: str, path: str, token: str, params: dict[str, Any] | None = None
    ) -> Any:
        """Return the JSON of a GET."""
        return (await self.call(service, "GET", path, token, params=params)).json()

    async def pages(
        self, service: str, path: str, token: str, params: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Return every item of a paginated list."""
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            body = await self.get(
                service, path, token, {**(params or {}), "page": page, "page_size": 200}
            )
            if isinstance(body, list):  # a list that is not paginated
                return body
            found.extend(body["items"])
            if not body["items"] or len(found) >= body["total"]:
                return found
            page += 1
