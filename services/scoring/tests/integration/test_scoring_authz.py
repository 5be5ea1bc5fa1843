"""The authorisation matrix: every route x role x a record of one's own county/township or not.

A denied call is exactly 403 and changes nothing; an allowed one is never 401/403 nor any 4xx.
Declarations on the shared runner (kit.authz_matrix); tests/authz runs them for the platform:
`pytest tests/authz -k <service>`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import yaml
from sqlalchemy import select

from contracts.vocabulary import ActivityType, Attendance
from kit.authz_matrix import Report, run_matrix
from scoring.bootstrap import Service
from scoring.handlers.assessments import default_document as assessment_document
from scoring.handlers.rulesets import default_document
from scoring.settings import ScoringSettings
from scoring.testing import events as ev
from scoring.testing.harness import envelope, headers, ingest, running_app, settings_for

YEAR = 2026
PROVINCE = "99"
PLACES = {
    "own": {"county": "990101", "township": "990101001", "deputy": "dep-1"},
    "other": {"county": "990102", "township": "990102001", "deputy": "dep-9"},
}
COUNTY_ROLES = {"county_admin", "county_leader", "auditor"}
READERS = COUNTY_ROLES | {"township_staff"}
Call = Callable[[httpx.AsyncClient, dict[str, Any], dict[str, str]], Any]


@dataclass(frozen=True)
class Route:
    """A route, what it needs prepared, and who may call it on a record of their own."""

    name: str
    needs: str | None  # "entry", "reviewed", "contested", "draft", "assessment draft" or None
    allowed: frozenset[str]
    call: Call


def _get(path: str) -> Call:
    def call(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
        return client.get(path.format(**ctx["place"], **ctx), headers=auth)

    return call


def _review(path: str, version: int = 1) -> Call:
    def call(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
        return client.post(
            f"/api/v1/entries/{ctx['entry']}/{path}",
            json={"reason": "核对"},
            headers={**auth, "If-Match": f'"{version}"'},
        )

    return call


def _post(path: str, body: dict[str, Any] | None = None) -> Call:
    def call(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
        return client.post(path.format(**ctx["place"], **ctx), json=body, headers=auth)

    return call


def _publish(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
    body = {"scope": ctx["place"]["township"], "year": YEAR, "period": f"{YEAR}-Q1"}
    return client.post("/api/v1/publications", json=body, headers=auth)


def _resolve(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
    return client.post(
        f"/api/v1/entries/{ctx['entry']}/resolve",
        json={"outcome": "rejected", "explanation": "核对无误"},
        headers={**auth, "If-Match": '"2"'},
    )


def _decide(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
    # no session, no suggestion: the minimums make the grade 不称职, which proposes a talk
    body = {"year": YEAR, "proposal": "talk", "decision": "declined", "note": "主任会议"}
    return client.post(
        f"/api/v1/deputies/{ctx['place']['deputy']}/decisions", json=body, headers=auth
    )


def _assessment_document(county: str) -> str:
    doc = yaml.safe_load(assessment_document(county, YEAR))
    doc["thresholds"]["excellent"] = 95
    return yaml.safe_dump(doc, allow_unicode=True)


def _create_assessment(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
    county = ctx["place"]["county"]
    body = {"county": county, "document": _assessment_document(county)}
    return client.post("/api/v1/assessment-rules", json=body, headers=auth)


def _document(county: str) -> str:
    doc = yaml.safe_load(default_document(county, YEAR))
    doc["suggestion"]["lead"] = 4
    return yaml.safe_dump(doc, allow_unicode=True)


def _create(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
    county = ctx["place"]["county"]
    return client.post(
        "/api/v1/rule-sets", json={"county": county, "document": _document(county)}, headers=auth
    )


def _activate(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
    county = ctx["place"]["county"]
    return client.post(f"/api/v1/rule-sets/{county}/{YEAR}/{ctx['draft']}/activate", headers=auth)


AUDIT_READERS = frozenset({"auditor", "county_admin", "township_staff"})
ROUTES = (
    Route("read the audit log", None, AUDIT_READERS, _get("/api/v1/audit?township={township}")),
    Route(
        "export the audit log",
        None,
        AUDIT_READERS,
        _get("/api/v1/audit/export?township={township}&format=xlsx"),
    ),
    Route(
        "list rule sets",
        None,
        frozenset(READERS | {"deputy"}),
        _get("/api/v1/rule-sets?county={county}"),
    ),
    Route(
        "read rule set",
        None,
        frozenset(READERS | {"deputy"}),
        _get("/api/v1/rule-sets/{county}/2026/1"),
    ),
    Route("create draft", None, frozenset({"county_admin"}), _create),
    Route(
        "preview",
        "draft",
        frozenset({"county_admin"}),
        _get("/api/v1/rule-sets/{county}/2026/{draft}/preview"),
    ),
    Route("activate", "draft", frozenset({"county_admin"}), _activate),
    Route(
        "ledger",
        None,
        frozenset(READERS | {"deputy"}),
        _get("/api/v1/deputies/{deputy}/ledger?year=2026"),
    ),
    Route(
        "score card",
        None,
        frozenset(READERS | {"deputy"}),
        _get("/api/v1/deputies/{deputy}/score-card?year=2026"),
    ),
    Route(
        "review history",
        "entry",
        frozenset(READERS | {"deputy"}),
        _get("/api/v1/entries/{entry}/reviews"),
    ),
    Route("first review", "entry", frozenset({"township_staff"}), _review("first-review")),
    Route("recheck", "reviewed", frozenset({"county_admin"}), _review("recheck", 2)),
    Route("contest", "entry", frozenset({"deputy"}), _review("contest")),
    Route("void", "entry", frozenset({"county_admin"}), _review("void")),
    Route(
        "leaderboard",
        None,
        frozenset(READERS | {"deputy"}),  # deputies: what was published (亮分) of their township
        _get("/api/v1/leaderboard?scope={township}&year=2026"),
    ),
    Route("publish a period", None, frozenset({"county_admin"}), _publish),
    Route(
        "publications",
        None,
        frozenset(READERS | {"deputy"}),
        _get("/api/v1/publications?scope={township}&year=2026"),
    ),
    Route("resolve a contest", "contested", frozenset({"county_admin"}), _resolve),
    Route(
        "contests",
        None,
        frozenset(READERS | {"deputy"}),
        _get("/api/v1/deputies/{deputy}/contests"),
    ),
    Route(
        "dossier",
        None,
        frozenset(READERS | {"deputy"}),
        _get("/api/v1/deputies/{deputy}/dossier?year=2026"),
    ),
    Route(
        "dossier docx",
        None,
        frozenset(READERS | {"deputy"}),
        _get("/api/v1/deputies/{deputy}/dossier.docx?year=2026"),
    ),
    Route(
        "proposals",
        None,
        frozenset(READERS),
        _get("/api/v1/proposals?scope={township}&year=2026"),
    ),
    Route("decide a proposal", None, frozenset({"county_admin"}), _decide),
    Route(
        "assessment rules",
        None,
        frozenset(READERS | {"deputy"}),
        _get("/api/v1/assessment-rules?county={county}"),
    ),
    Route("create assessment draft", None, frozenset({"county_admin"}), _create_assessment),
    Route(
        "read assessment rules",
        "assessment draft",
        frozenset(READERS | {"deputy"}),
        _get("/api/v1/assessment-rules/{county}/2026/{adraft}"),
    ),
    Route(
        "activate assessment rules",
        "assessment draft",
        frozenset({"county_admin"}),
        _post("/api/v1/assessment-rules/{county}/2026/{adraft}/activate"),
    ),
    Route(
        "publish assessments",
        None,
        frozenset({"county_admin"}),
        _post("/api/v1/assessments/{county}/2026/publish"),
    ),
    Route(
        "published assessments",  # after the row above: the own county's is published
        None,
        frozenset(READERS),
        _get("/api/v1/assessment-publications?scope={township}&year=2026"),
    ),
    Route(
        "county assessments",
        None,
        frozenset(COUNTY_ROLES),
        _get("/api/v1/assessments?scope={county}&year=2026"),
    ),
    Route(
        "township assessment",
        None,
        frozenset(READERS),
        _get("/api/v1/townships/{township}/assessment?year=2026"),
    ),
)


def _auth(settings: ScoringSettings, role: str) -> dict[str, str]:
    own = PLACES["own"]
    if role == "township_staff":
        return headers(settings, role, own["township"])
    if role == "deputy":
        return headers(settings, role, own["township"], deputy_id=own["deputy"])
    return headers(settings, role, own["county"])


async def _entry(service: Service, place: dict[str, str], n: int) -> str:
    marks = {place["deputy"]: Attendance.present}
    activity = ev.logged(
        f"a-{n}", place["township"], ActivityType.research, date(YEAR, 5, 5), marks
    )
    await ingest(service, [envelope(activity)])
    e = service.services.tables.entries
    async with service.runtime.engine.connect() as conn:
        found = await conn.scalar(select(e.c.entry_id).where(e.c.subject == f"activity:a-{n}"))
    assert found is not None
    return str(found)


async def _prepare(
    service: Service,
    client: httpx.AsyncClient,
    settings: ScoringSettings,
    place: dict[str, str],
    needs: str,
    n: int,
) -> dict[str, Any]:
    admin = headers(settings, "county_admin", PROVINCE)
    if needs == "draft":
        made = await _create(client, {"place": place}, admin)
        assert made.status_code == 201, made.text
        return {"draft": made.json()["version"]}
    if needs == "assessment draft":
        made = await _create_assessment(client, {"place": place}, admin)
        assert made.status_code == 201, made.text
        return {"adraft": made.json()["version"]}
    entry = await _entry(service, place, n)
    if needs == "contested":
        mine = headers(settings, "deputy", place["township"], deputy_id=place["deputy"])
        done = await _review("contest")(client, {"entry": entry}, mine)
        assert done.status_code == 200, done.text
    if needs == "reviewed":
        staff = headers(settings, "township_staff", place["township"])
        done = await _review("first-review")(client, {"entry": entry}, staff)
        assert done.status_code == 200, done.text
    return {"entry": entry}


async def matrix(database_url: str, topic_prefix: str) -> Report:
    """Run this service's matrix on the shared runner (tests/authz runs it for the platform)."""
    settings = settings_for(database_url, topic_prefix)
    calls = itertools.count(1)
    async with running_app(settings, relay=False) as (service, client):
        for place in PLACES.values():
            await ingest(
                service,
                [
                    envelope(ev.township(place["township"])),
                    envelope(ev.deputy(place["deputy"], place["township"])),
                ],
            )
            await _entry(service, place, 0 if place is PLACES["own"] else -1)

        async def prepare(route: Route, where: str) -> dict[str, Any]:
            place = PLACES[where]
            ctx: dict[str, Any] = {"place": place}
            if route.needs is not None:
                n = next(calls)
                ctx.update(await _prepare(service, client, settings, place, route.needs, n))
            return ctx

        return await run_matrix(
            "scoring",
            client,
            openapi=service.app.openapi(),
            routes=ROUTES,
            expect=lambda route, role, where: (
                None if where == "own" and role in route.allowed else 403
            ),
            auth=lambda role, where: _auth(settings, role),
            prepare=prepare,
            audit=(service.runtime.engine, service.runtime.tables.audit_log),
        )
