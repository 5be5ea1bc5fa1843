"""Development mode only: X-Dev-Clock pins the handlers' clock for one request."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from fastapi import FastAPI

from kit.clock import pinned_now, utcnow
from kit.web.devclock import install_dev_clock, parse


def app(*, dev: bool) -> FastAPI:
    """Return an app whose one route answers the instant its clock reads."""
    made = FastAPI()
    if dev:
        install_dev_clock(made)

    @made.get("/now")
    async def now() -> dict[str, str]:
        return {"now": pinned_now().isoformat()}

    return made


async def read(made: FastAPI, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=made)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/now", headers=headers)


async def test_a_request_pins_the_clock_in_development_mode_only() -> None:
    past = "2026-03-02T10:00:00+08:00"
    pinned = await read(app(dev=True), {"X-Dev-Clock": past})
    assert datetime.fromisoformat(pinned.json()["now"]) == datetime.fromisoformat(past)
    ignored = await read(app(dev=False), {"X-Dev-Clock": past})
    assert datetime.fromisoformat(ignored.json()["now"]).year == utcnow().year
    assert abs((datetime.fromisoformat(ignored.json()["now"]) - utcnow()).total_seconds()) < 60
    plain = await read(app(dev=True), {})
    assert (
        abs((datetime.fromisoformat(plain.json()["now"]) - datetime.now(UTC)).total_seconds()) < 60
    )


async def test_a_naive_or_malformed_instant_is_refused() -> None:
    assert parse("2026-03-02T10:00:00") is None
    assert parse("yesterday") is None
    refused = await read(app(dev=True), {"X-Dev-Clock": "yesterday"})
    assert refused.status_code == 400
    assert pinned_now().tzinfo is not None  # nothing stays pinned after a request
