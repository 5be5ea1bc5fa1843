"""NUL characters (U+0000) in request text: 422 naming the field on every service, never a 500.

PostgreSQL stores no NUL in text; before the kit's guard (kit.web.nul) a JSON "\\u0000" in free text
reached the database and answered 500. Each service runs on its own fresh PostgreSQL database;
for each request the same one without the NUL is sent first: it is not a NUL refusal (the real
write happens where it is valid), so the 422 that follows is the guard's and names the field.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from cases.testing import bodies
from kit.auth.tokens import issue_token
from kit.testing import fresh_database, unique

pytestmark = pytest.mark.integration

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services" / "notify" / "tests"))
NUL = "\u0000"


@dataclass(frozen=True)
class Sent:
    """One request: clean, and with a NUL where ``loc`` says; ``made``: the clean one's status."""

    method: str
    path: str
    loc: list[str | int]
    json: dict[str, Any] | None = None
    params: dict[str, str] | None = None
    csv: str | None = None
    made: int | None = None
    version: str | None = None  # the If-Match to send

    def request(self, client: httpx.AsyncClient, auth: dict[str, str], dirty: bool) -> Any:
        """Send it, with the NUL in its field when ``dirty``."""
        spoil: Callable[[str], str] = (lambda s: s + NUL) if dirty else (lambda s: s)
        field = self.loc[-1]
        headers = {**auth, **({"If-Match": self.version} if self.version else {})}
        if self.csv is not None:
            headers["Content-Type"] = "text/csv"
            body = spoil(self.csv).encode()
            return client.request(self.method, self.path, content=body, headers=headers)
        json = {k: spoil(v) if k == field else v for k, v in (self.json or {}).items()}
        params = {k: spoil(v) if k == field else v for k, v in (self.params or {}).items()}
        return client.request(
            self.method, self.path, json=self.json and json, params=params, headers=headers
        )


def _bearer(settings: Any, role: str, scope: str) -> dict[str, str]:
    token = issue_token(settings, subject=f"{role}-{scope}", roles=[role], scope=scope)
    return {"Authorization": f"Bearer {token}"}


# Each service's test harness: the module with running_app, the one with settings_for, options.
HARNESS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "cases": ("cases.testing.harness", "cases.testing.harness", {"relay": False}),
    "deputies": ("deputies.testing.api", "deputies.testing.harness", {"relay": False}),
    "scoring": ("scoring.testing.harness", "scoring.testing.harness", {"relay": False}),
    "notify": ("notify_harness", "notify_harness", {}),
}


@asynccontextmanager
async def _running(service: str, url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """Run a service's app on a fresh database; yield a client and its settings."""
    apps, config, options = HARNESS[service]
    settings = importlib.import_module(config).settings_for(url, unique("t") + ".")
    async with importlib.import_module(apps).running_app(settings, **options) as (_, client):
        yield client, settings


SUGGESTION = bodies.suggestion("dep-1", "990101001")
AUDIT = Sent("GET", "/api/v1/audit", ["query", "resource_id"], params={"resource_id": "x"})
SERVICES: dict[str, tuple[str, str, list[Sent]]] = {
    "cases": (
        "county_admin",
        "990101",
        [
            Sent("POST", "/api/v1/suggestions", ["body", "title"], json=SUGGESTION, made=201),
            Sent(
                "POST",
                "/api/v1/units",
                ["body", "name"],
                json={"unit_id": "roads", "name": "县公路局", "scope": "990101"},
                made=201,
            ),
            Sent(
                "POST",
                "/api/v1/cases/{case}/assign",
                ["body", "comment"],
                json={"lead_unit_id": "traffic", "comment": "请抓紧办理"},
                version='"1"',
            ),
            Sent("GET", "/api/v1/cases", ["query", "township"], params={"township": "990101001"}),
            AUDIT,
        ],
    ),
    "deputies": (
        "county_admin",
        "990101",
        [
            Sent(
                "POST",
                "/api/v1/townships",
                ["body", "name"],
                json={"code": "990101001", "name": "青石镇", "kind": "town"},
                made=201,
            ),
            Sent("POST", "/api/v1/roster/import", ["body"], csv="姓名,乡镇\n张三,青石镇\n"),
            AUDIT,
        ],
    ),
    "scoring": (
        "county_admin",
        "990101",
        [
            Sent(
                "POST",
                "/api/v1/rule-sets",
                ["body", "document"],
                json={"county": "990101", "document": "year: 2026\n"},
            ),
            Sent("POST", "/api/v1/entries/e-1/contest", ["body", "reason"], json={"reason": "x"}),
            Sent("GET", "/api/v1/leaderboard", ["query", "scope"], params={"scope": "990101"}),
            AUDIT,
        ],
    ),
    "notify": (
        "county_admin",
        "330102",
        [
            Sent(
                "PUT",
                "/api/v1/directory/units/roads",
                ["body", "name"],
                json={"name": "县公路局", "county": "330102"},
                version='"0"',
                made=200,
            ),
            Sent("POST", "/api/v1/directory/import?kind=units", ["body"], csv="id,name,county\n"),
            AUDIT,
        ],
    ),
}


def _nul_refusal(response: httpx.Response) -> list[Any] | None:
    """Return the field a NUL refusal names, or None when the response is not one."""
    if response.status_code != 422:
        return None
    errors = [e for e in response.json().get("errors") or () if e.get("type") == "nul_char"]
    return errors[0]["loc"] if errors else None


@pytest.mark.parametrize("service", list(SERVICES))
async def test_nul_in_request_text_is_a_422_naming_the_field(service: str) -> None:
    role, scope, sent = SERVICES[service]
    async with fresh_database() as url, _running(service, url) as (client, settings):
        auth = _bearer(settings, role, scope)
        case_id = ""
        for one in sent:
            if "{case}" in one.path:
                one = Sent(**{**one.__dict__, "path": one.path.format(case=case_id)})
            clean = await one.request(client, auth, dirty=False)
            assert clean.status_code < 500, (one.path, clean.text)
            assert _nul_refusal(clean) is None, (one.path, clean.text)
            if one.made is not None:
                assert clean.status_code == one.made, (one.path, clean.text)
            if one.path == "/api/v1/suggestions":
                case_id = clean.json()["case_id"]
            anonymous = await one.request(client, {}, dirty=True)
            assert anonymous.status_code == 401, (one.path, anonymous.text)  # authentication first
            dirty = await one.request(client, auth, dirty=True)
            assert dirty.status_code == 422, (one.path, dirty.text)
            assert _nul_refusal(dirty) == one.loc, (one.path, dirty.text)
