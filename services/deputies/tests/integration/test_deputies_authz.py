"""The authorisation matrix: every route x role x own/other township (or own/other record).

Declarations on the shared runner (kit.authz_matrix); tests/authz runs them for the platform:
`pytest tests/authz -k <service>`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from deputies.testing import bodies
from deputies.testing.api import headers, running_app
from deputies.testing.harness import settings_for
from deputies.testing.sheets import csv_bytes, roster_rows
from kit.authz_matrix import ROLES, Report, run_matrix

COUNTY = "990101"
OWN = "990101001"
OTHER = "990101002"


@dataclass(frozen=True)
class Route:
    """One route, how to call it for a township's records, and what kind of access it needs."""

    name: str
    kind: str  # read | write | admin | county (county-hosted) | self (a deputy's own record)
    call: Callable[[httpx.AsyncClient, dict[str, Any], dict[str, str]], Any]


def _json(
    method: str, path: str, body: Callable[[dict[str, Any]], Any] | None = None, **extra: str
) -> Callable[..., Any]:
    def call(client: httpx.AsyncClient, place: dict[str, Any], auth: dict[str, str]) -> Any:
        url = path.format(**place)
        payload = body(place) if body else None
        return client.request(method, url, json=payload, headers={**auth, **extra})

    return call


def _import(client: httpx.AsyncClient, place: dict[str, Any], auth: dict[str, str]) -> Any:
    content = csv_bytes(roster_rows(1, seed=int(place["code"]) % 1000))
    return client.post(
        "/api/v1/roster/import",
        params={"township": place["code"]},
        content=content,
        headers={**auth, "Content-Type": "text/csv"},
    )


def _plan_body(place: dict[str, Any], title: str = "代表接待选民日") -> dict[str, Any]:
    return {
        "township": place["code"],
        "type": "reception_day",
        "title": title,
        "starts_at": "2026-05-01T09:00:00+08:00",
        "ends_at": "2026-05-01T11:30:00+08:00",
        "station_id": place.get("station"),
    }


EVIDENCE = b"%PDF-1.7\n" + b"scan" * 100


def _attach(path: str) -> Callable[..., Any]:
    def call(client: httpx.AsyncClient, place: dict[str, Any], auth: dict[str, str]) -> Any:
        return client.post(
            path.format(**place), params={"filename": "截图.pdf"}, content=EVIDENCE, headers=auth
        )

    return call


ROUTES = (
    Route("list townships", "list", _json("GET", "/api/v1/townships")),
    Route("read township", "read", _json("GET", "/api/v1/townships/{code}")),
    Route(
        "register township",
        "admin",
        _json(
            "POST",
            "/api/v1/townships",
            lambda p: {"code": p["code"][:6] + "9" + p["code"][7:], "name": "新镇", "kind": "town"},
        ),
    ),
    Route(
        "verify roster",
        "write",
        _json("POST", "/api/v1/townships/{code}/roster-verifications", lambda p: {"note": "核对"}),
    ),
    Route(
        "list verifications", "read", _json("GET", "/api/v1/townships/{code}/roster-verifications")
    ),
    Route("list stations", "read", _json("GET", "/api/v1/stations?township={code}")),
    Route(
        "open station",
        "write",
        _json("POST", "/api/v1/stations", lambda p: bodies.station(p["code"], "联系点")),
    ),
    Route("read station", "read", _json("GET", "/api/v1/stations/{station}")),
    Route(
        "update station",
        "write",
        _json(
            "PATCH",
            "/api/v1/stations/{station}",
            lambda p: {"content": "更新"},
            **{"If-Match": '"1"'},
        ),
    ),
    Route("list deputies", "read", _json("GET", "/api/v1/deputies?township={code}")),
    Route(
        "register deputy",
        "write",
        _json("POST", "/api/v1/deputies", lambda p: bodies.deputy(p["code"])),
    ),
    Route("read deputy", "self", _json("GET", "/api/v1/deputies/{deputy}")),
    Route("deputy history", "self", _json("GET", "/api/v1/deputies/{deputy}/history")),
    Route(
        "update deputy",
        "write",
        _json(
            "PATCH", "/api/v1/deputies/{deputy}", lambda p: {"party": "群众"}, **{"If-Match": '"1"'}
        ),
    ),
    Route(
        "change status",
        "write",
        _json(
            "POST",
            "/api/v1/deputies/{deputy}/status",
            lambda p: {"status": "suspended", "reason": "custody", "effective_date": "2026-06-01"},
            **{"If-Match": '"1"'},
        ),
    ),
    Route(
        "change a county mandate",
        "county",
        _json(
            "POST",
            "/api/v1/deputies/{county_deputy}/status",
            lambda p: {
                "status": "terminated",
                "reason": "moved_out",
                "effective_date": "2026-06-01",
                "level": "county",
            },
            **{"If-Match": '"1"'},
        ),
    ),
    Route(
        "change a township mandate of a county deputy",
        "write",
        _json(
            "POST",
            "/api/v1/deputies/{county_deputy}/status",
            lambda p: {
                "status": "terminated",
                "reason": "moved_out",
                "effective_date": "2026-06-01",
                "level": "township",
            },
            **{"If-Match": '"1"'},
        ),
    ),
    Route(
        "correct a status change",
        "county",
        _json(
            "POST",
            "/api/v1/deputies/{county_deputy}/status/corrections",
            lambda p: {"reason": "录入错误"},
            **{"If-Match": '"2"'},
        ),
    ),
    Route(
        "suspend the county mandate of a county deputy",
        "county",
        _json(
            "POST",
            "/api/v1/deputies/{county_deputy}/status",
            lambda p: {
                "status": "suspended",
                "reason": "custody",
                "effective_date": "2026-07-01",
                "level": "county",
            },
            **{"If-Match": '"3"'},
        ),
    ),
    Route(
        "suspend the township mandate of a county deputy",
        "write",
        _json(
            "POST",
            "/api/v1/deputies/{county_deputy}/status",
            lambda p: {
                "status": "suspended",
                "reason": "custody",
                "effective_date": "2026-07-01",
                "level": "township",
            },
            **{"If-Match": '"4"'},
        ),
    ),
    Route("import roster", "write", _import),
    Route("export roster", "read", _json("GET", "/api/v1/roster/export?township={code}")),
    Route("list activities", "read", _json("GET", "/api/v1/activities?township={code}")),
    Route(
        "log activity",
        "write",
        _json(
            "POST",
            "/api/v1/activities",
            lambda p: bodies.activity(p["code"], {p["deputy"]: "present"}),
        ),
    ),
    Route("read activity", "read", _json("GET", "/api/v1/activities/{activity}")),
    Route(
        "change activity",
        "write",
        _json(
            "PATCH",
            "/api/v1/activities/{activity}",
            lambda p: {"duration_hours": 3, "reason": "更正"},
            **{"If-Match": '"1"'},
        ),
    ),
    Route(
        "log county session",
        "county",
        _json(
            "POST",
            "/api/v1/activities",
            lambda p: bodies.activity(
                p["code"], {}, type="congress_session", levels=["county"], title="县人代会"
            ),
        ),
    ),
    Route(
        "log joint activity",
        "county",
        _json(
            "POST",
            "/api/v1/activities",
            lambda p: bodies.activity(p["code"], {}, levels=["county", "township"], title="联动"),
        ),
    ),
    Route(
        "log a county-wide activity (host: the county)",
        "county",
        _json(
            "POST",
            "/api/v1/activities",
            lambda p: {
                **{k: v for k, v in bodies.activity(p["code"], {}).items() if k != "township"},
                "host": p["code"][:6],
                "levels": ["county", "township"],
                "title": f"全县联动{p['code']}",
                "participants": [p["code"]],
            },
        ),
    ),
    Route("read a county-wide activity", "read", _json("GET", "/api/v1/activities/{countywide}")),
    Route(
        "change joint activity",
        "county",
        _json(
            "PATCH",
            "/api/v1/activities/{joint}",
            lambda p: {"title": "县镇联动视察", "reason": "更正"},
            **{"If-Match": '"1"'},
        ),
    ),
    Route(
        "cancel joint activity",
        "county",
        _json(
            "POST",
            "/api/v1/activities/{joint}/cancel",
            lambda p: {"reason": "取消"},
            **{"If-Match": '"1"'},
        ),
    ),
    Route(
        "record attendance at a joint activity",
        "write",
        _json(
            "PUT",
            "/api/v1/activities/{joint}/attendance/{deputy}",
            lambda p: {"mark": "excused"},
        ),
    ),
    Route(
        "remove a mistaken mark",
        "write",
        _json("DELETE", "/api/v1/activities/{activity}/attendance/{deputy}?reason=误录"),
    ),
    Route(
        "cancel activity",
        "write",
        _json(
            "POST",
            "/api/v1/activities/{activity}/cancel",
            lambda p: {"reason": "取消"},
            **{"If-Match": '"1"'},
        ),
    ),
    Route("list highlights", "read", _json("GET", "/api/v1/highlights?township={code}")),
    Route(
        "report highlight",
        "write",
        _json(
            "POST",
            "/api/v1/highlights",
            lambda p: {"township": p["code"], "year": 2026, "title": "特色", "summary": "亮点"},
        ),
    ),
    Route(
        "correct highlight",
        "write",
        _json(
            "PATCH",
            "/api/v1/highlights/{highlight}",
            lambda p: {"summary": "更正", "reason": "更正"},
            **{"If-Match": '"1"'},
        ),
    ),
    Route(
        "withdraw highlight",
        "write",
        _json(
            "POST",
            "/api/v1/highlights/{highlight}/withdraw",
            lambda p: {"reason": "撤回"},
            **{"If-Match": '"2"'},
        ),
    ),
    Route(
        "set highlight rule",
        "admin",
        _json(
            "PUT",
            "/api/v1/townships/{code}/highlight-rules/2026",
            lambda p: {"max_highlights": 2},
        ),
    ),
    Route(
        "read highlight rule", "read", _json("GET", "/api/v1/townships/{code}/highlight-rules/2026")
    ),
    Route("list manuscripts", "read", _json("GET", "/api/v1/manuscripts?township={code}")),
    Route(
        "submit manuscript",
        "write",
        _json(
            "POST",
            "/api/v1/manuscripts",
            lambda p: {
                "township": p["code"],
                "title": "稿件",
                "author": "通讯员",
                "submitted_on": "2026-05-01",
            },
        ),
    ),
    Route(
        "correct manuscript",
        "write",
        _json(
            "PATCH",
            "/api/v1/manuscripts/{manuscript}",
            lambda p: {"author": "特约通讯员", "reason": "署名更正"},
            **{"If-Match": '"1"'},
        ),
    ),
    Route(
        "publish manuscript",
        "write",
        _json(
            "POST",
            "/api/v1/manuscripts/{manuscript}/publish",
            lambda p: {
                "outlet": "青山日报",
                "outlet_level": "county",
                "placement": "single",
                "published_on": "2026-05-09",
                "evidence_url": "https://news.example.cn/1",
            },
        ),
    ),
    Route(
        "withdraw manuscript",
        "write",
        _json(
            "POST",
            "/api/v1/manuscripts/{manuscript}/withdraw",
            lambda p: {"reason": "撤稿"},
            **{"If-Match": '"3"'},
        ),
    ),
    Route("calendar of a township", "read", _json("GET", "/api/v1/calendar?township={code}")),
    Route("calendar of a station", "read", _json("GET", "/api/v1/calendar?station_id={station}")),
    Route("calendar of a deputy", "self", _json("GET", "/api/v1/calendar?deputy_id={deputy}")),
    Route("read plan", "self", _json("GET", "/api/v1/planned-activities/{plan}")),
    Route("plan activity", "write", _json("POST", "/api/v1/planned-activities", _plan_body)),
    Route(
        "reschedule plan",
        "write",
        _json(
            "POST",
            "/api/v1/planned-activities/{plan}/reschedule",
            lambda p: {"starts_at": "2026-05-02T09:00:00+08:00", "reason": "改期"},
            **{"If-Match": '"1"'},
        ),
    ),
    Route(
        "hold plan",
        "write",
        _json(
            "POST",
            "/api/v1/planned-activities/{plan_to_hold}/held",
            lambda p: {"attendance": []},
            **{"If-Match": '"1"'},
        ),
    ),
    Route(
        "cancel plan",
        "write",
        _json(
            "POST",
            "/api/v1/planned-activities/{plan_to_cancel}/cancel",
            lambda p: {"reason": "取消"},
            **{"If-Match": '"1"'},
        ),
    ),
    Route(
        "plan a joint activity",
        "county",
        _json(
            "POST",
            "/api/v1/planned-activities",
            lambda p: {**_plan_body(p), "levels": ["county", "township"]},
        ),
    ),
    Route("sign-in sheet", "read", _json("GET", "/api/v1/planned-activities/{plan}/sign-in-sheet")),
    Route(
        "attendance export",
        "read",
        _json("GET", "/api/v1/planned-activities/{plan}/attendance.xlsx"),
    ),
    Route(
        "coverage of a township",
        "read",
        _json("GET", "/api/v1/coverage?township={code}&from=2026-01-01&to=2026-12-31"),
    ),
    Route(
        "coverage of a deputy",
        "self",
        _json("GET", "/api/v1/coverage?deputy_id={deputy}&from=2026-01-01&to=2026-12-31"),
    ),
    Route(
        "coverage export",
        "read",
        _json("GET", "/api/v1/coverage.xlsx?township={code}&from=2026-01-01&to=2026-12-31"),
    ),
    Route(
        "feed token for a township",
        "read",
        _json(
            "POST",
            "/api/v1/calendar/feed-tokens",
            lambda p: {"kind": "township", "key": p["code"]},
        ),
    ),
    Route(
        "feed token for a deputy",
        "self",
        _json(
            "POST", "/api/v1/calendar/feed-tokens", lambda p: {"kind": "deputy", "key": p["deputy"]}
        ),
    ),
    Route("one's own feed tokens", "anyone", _json("GET", "/api/v1/calendar/feed-tokens")),
    Route(  # the place's staff issued it: its owner, or the county administration, revokes it
        "revoke a feed token",
        "write",
        _json("DELETE", "/api/v1/calendar/feed-tokens/{feed_token}"),
    ),
    Route(
        "attach evidence to a manuscript",
        "write",
        _attach("/api/v1/manuscripts/{manuscript}/attachments"),
    ),
    Route(
        "attach evidence to a highlight",
        "write",
        _attach("/api/v1/highlights/{highlight}/attachments"),
    ),
    Route("list evidence", "read", _json("GET", "/api/v1/manuscripts/{manuscript}/attachments")),
    Route(
        "download evidence",
        "read",
        _json("GET", "/api/v1/manuscripts/{manuscript}/attachments/{evidence}"),
    ),
    Route(
        "remove evidence",
        "write",
        _json("DELETE", "/api/v1/manuscripts/{manuscript}/attachments/{evidence}"),
    ),
    Route(
        "list a highlight's evidence",
        "read",
        _json("GET", "/api/v1/highlights/{highlight}/attachments"),
    ),
    Route(
        "download a highlight's evidence",
        "read",
        _json("GET", "/api/v1/highlights/{highlight}/attachments/{highlight_evidence}"),
    ),
    Route(
        "remove a highlight's evidence",
        "write",
        _json("DELETE", "/api/v1/highlights/{highlight}/attachments/{highlight_evidence}"),
    ),
    Route(
        "propose a contact change",
        "propose",
        _json(
            "POST",
            "/api/v1/deputies/{deputy}/contact-proposals",
            lambda p: {"address": f"青山县新址{p['code']}号"},
            **{"If-Match": '"1"'},
        ),
    ),
    Route(
        "a deputy's contact proposals",
        "contact",
        _json("GET", "/api/v1/deputies/{deputy}/contact-proposals"),
    ),
    Route(
        "pending contact proposals",
        "write",
        _json("GET", "/api/v1/contact-proposals?township={code}"),
    ),
    Route(
        "approve a contact proposal",
        "write",
        _json("POST", "/api/v1/contact-proposals/{proposal}/approve"),
    ),
    Route(
        "reject a contact proposal",
        "write",
        _json(
            "POST",
            "/api/v1/contact-proposals/{county_proposal}/reject",
            lambda p: {"reason": "核实有误"},
        ),
    ),
    Route("read the audit log", "audit", _json("GET", "/api/v1/audit?township={code}")),
    Route("export the audit log", "audit", _json("GET", "/api/v1/audit/export?township={code}")),
)


def allowed(route: Route, role: str, own: bool) -> bool:
    """The policy under test, written out plainly."""
    if route.kind == "anyone":  # about the caller alone
        return True
    if route.kind == "audit":  # the audit log: auditors, and staff within their scope
        return role in {"auditor", "county_admin"} or (role == "township_staff" and own)
    if route.kind == "propose":  # a deputy proposes for their own record only
        return role == "deputy" and own
    if route.kind == "contact":  # the deputy and those who decide their proposals
        return role == "county_admin" or (own and role in {"township_staff", "deputy"})
    if role == "county_admin":
        return True
    if route.kind == "county":
        return False
    if role in {"county_leader", "auditor"}:
        return route.kind in {"read", "list", "self"}
    if role == "township_staff":
        return route.kind == "list" or (own and route.kind in {"read", "write", "self"})
    if role == "deputy":
        return own and route.kind == "self"
    return False


async def _place(client: httpx.AsyncClient, code: str, admin: dict[str, str]) -> dict[str, Any]:
    await client.post("/api/v1/townships", json=bodies.township(code), headers=admin)
    station = (
        await client.post("/api/v1/stations", json=bodies.station(code), headers=admin)
    ).json()
    deputy = (await client.post("/api/v1/deputies", json=bodies.deputy(code), headers=admin)).json()
    activity = (
        await client.post(
            "/api/v1/activities",
            json=bodies.activity(code, {deputy["id"]: "present"}),
            headers=admin,
        )
    ).json()
    joint = (
        await client.post(
            "/api/v1/activities",
            json=bodies.activity(
                code,
                {},
                levels=["county", "township"],
                title=f"县镇联动{code}",
                participants=[code],
            ),
            headers=admin,
        )
    ).json()
    countywide = (
        await client.post(
            "/api/v1/activities",
            json={
                **{k: v for k, v in bodies.activity(code, {}).items() if k != "township"},
                "host": code[:6],
                "levels": ["county"],
                "title": f"全县视察{code}",
                "participants": [code],
            },
            headers=admin,
        )
    ).json()
    manuscript = (
        await client.post(
            "/api/v1/manuscripts",
            json={
                "township": code,
                "title": "稿件",
                "author": "通讯员",
                "submitted_on": "2026-05-01",
            },
            headers=admin,
        )
    ).json()
    county_deputy = (
        await client.post(
            "/api/v1/deputies",
            json=bodies.deputy(code, levels=["county", "township"]),
            headers=admin,
        )
    ).json()
    highlight = (
        await client.post(
            "/api/v1/highlights",
            json={"township": code, "year": 2025, "title": "亮点", "summary": "一镇一特色"},
            headers=admin,
        )
    ).json()
    plans = {}
    for name in ("plan", "plan_to_hold", "plan_to_cancel"):
        created = await client.post(
            "/api/v1/planned-activities",
            json=_plan_body({"code": code, "station": station["id"]}, f"接待选民日{name}"),
            headers=admin,
        )
        assert created.status_code == 201, created.text
        plans[name] = created.json()["id"]
    evidence = (
        await _attach("/api/v1/manuscripts/{manuscript}/attachments")(
            client, {"manuscript": manuscript["id"]}, admin
        )
    ).json()
    highlight_evidence = (
        await _attach("/api/v1/highlights/{highlight}/attachments")(
            client, {"highlight": highlight["id"]}, admin
        )
    ).json()
    return {
        **plans,
        "code": code,
        "evidence": evidence["id"],
        "highlight_evidence": highlight_evidence["id"],
        "county_deputy": county_deputy["id"],
        "highlight": highlight["id"],
        "station": station["id"],
        "deputy": deputy["id"],
        "activity": activity["id"],
        "joint": joint["id"],
        "countywide": countywide["id"],
        "manuscript": manuscript["id"],
    }


async def matrix(database_url: str, topic_prefix: str, tmp_path: Path) -> Report:
    """Run this service's matrix on the shared runner (tests/authz runs it for the platform)."""
    settings = settings_for(database_url, topic_prefix, attachments_dir=str(tmp_path))
    admin = headers(settings, "county_admin", COUNTY)
    async with running_app(settings, relay=False) as (service, client):
        own = await _place(client, OWN, admin)
        other = await _place(client, OTHER, admin)
        for place in (own, other):  # a pending contact proposal of each of its two deputies
            for key, deputy in (("proposal", "deputy"), ("county_proposal", "county_deputy")):
                proposer = headers(settings, "deputy", place["code"], deputy_id=place[deputy])
                made = await client.post(
                    f"/api/v1/deputies/{place[deputy]}/contact-proposals",
                    json={"phone": "13700000000"},
                    headers={**proposer, "If-Match": '"1"'},
                )
                assert made.status_code == 201, made.text
                place[key] = made.json()["id"]
        tokens = {
            role: headers(
                settings,
                role,
                OWN if role in {"township_staff", "deputy"} else COUNTY,
                deputy_id=own["deputy"] if role == "deputy" else None,
            )
            for role in ROLES
        }
        for place in (own, other):  # a feed token the place's staff issued
            staff = headers(settings, "township_staff", place["code"])
            body = {"kind": "township", "key": place["code"]}
            issued = await client.post("/api/v1/calendar/feed-tokens", json=body, headers=staff)
            assert issued.status_code == 201, issued.text
            place["feed_token"] = issued.json()["id"]
        places = {"own": own, "other": other}

        async def prepare(route: Route, where: str) -> dict[str, Any]:
            return places[where]

        return await run_matrix(
            "deputies",
            client,
            openapi=service.app.openapi(),
            routes=ROUTES,
            expect=lambda route, role, where: None if allowed(route, role, where == "own") else 403,
            auth=lambda role, where: tokens[role],
            prepare=prepare,
            audit=(service.runtime.engine, service.runtime.tables.audit_log),
            strict=False,  # cells share records: a second allowed write may conflict (409/412)
            refusals_first=True,  # so an allowed write cannot change what a refusal sees
            exempt={
                "GET /api/v1/calendar/feeds/{token}.ics": "read by its signed URL, not a role: "
                "test_deputies_plans.py (own, another's, never issued, revoked)"
            },
        )
