"""Development mode only: X-Dev-Clock pins the handlers' clock for one request."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from kit import clock
from kit.clock import pinned_now, played_clock, utcnow
from kit.web.devclock import install_dev_clock, parse


@pytest.fixture(autouse=True)
def _nothing_played(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts, and leaves the process, with no year being played."""
    monkeypatch.setattr(clock, "_played", [])


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


async def test_scheduled_jobs_read_the_day_being_played_then_the_real_one() -> None:
    made, playing, stopped = app(dev=True), played_clock(30), played_clock(0)
    march, june = "2026-03-02T10:00:00+08:00", "2026-06-01T10:00:00+08:00"
    await read(made, {"X-Dev-Clock": march})
    assert playing() == datetime.fromisoformat(march)  # outside any request: a job's reading
    await read(made, {"X-Dev-Clock": june})
    await read(made, {"X-Dev-Clock": march})  # a later phase plays an earlier day again
    assert playing() == datetime.fromisoformat(june)  # the played clock does not go back
    assert abs((stopped() - utcnow()).total_seconds()) < 60  # no window, or the player stopped
