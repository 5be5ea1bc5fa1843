"""The authorisation matrix: every route x role x a case of one's own county/township or not.

A denied call is exactly 403 and changes nothing; an allowed one is never 401/403.
Declarations on the shared runner (kit.authz_matrix); tests/authz runs them for the platform:
`pytest tests/authz -k <service>`.
"""

from __future__ import annotations

import io
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import openpyxl

from cases.domain.workdays import WorkCalendar
from cases.settings import CasesSettings
from cases.testing import bodies
from cases.testing.harness import headers, running_app, settings_for
from kit.authz_matrix import ROLES, Report, run_matrix
from kit.clock import today as china_today

PROVINCE = "99"
PLACES = {
    "own": {"county": "990101", "township": "990101001", "deputy": "dep-1", "unit": "traffic"},
    "other": {"county": "990102", "township": "990102001", "deputy": "dep-9", "unit": "water"},
}
STAFF = {"county_admin", "township_staff"}
OVERSIGHT = {"county_admin", "county_leader", "auditor", "township_staff"}


@dataclass(frozen=True)
class Route:
    """A route, the state its case must be in, and who may call it on a case of their own."""

    name: str
    state: str | None  # None: no case needed
    allowed: frozenset[str]
    call: Callable[[httpx.AsyncClient, dict[str, Any], dict[str, str]], Any]
    area_list: bool = (
        False  # a list of the caller's own area: the other place is left out, not refused
    )


def _step(
    path: str, body: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]
) -> Callable[..., Any]:
    def call(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
        case = ctx["case"]
        return client.post(
            f"/api/v1/cases/{case['case_id']}/{path}",
            json=body(case) if callable(body) else body,
            headers={**auth, "If-Match": f'"{case["version"]}"'},
        )

    return call


def _get(path: str) -> Callable[..., Any]:
    def call(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
        return client.get(path.format(case_id=ctx["case"]["case_id"]), headers=auth)

    return call


def _file(kind: str) -> Callable[..., Any]:
    def call(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
        place = ctx["place"]
        if kind == "suggestion":
            body = bodies.suggestion(place["deputy"], place["township"])
            return client.post("/api/v1/suggestions", json=body, headers=auth)
        body = bodies.opinion(place["deputy"], place["township"])
        return client.post("/api/v1/opinions", json=body, headers=auth)

    return call


def _extension(case: dict[str, Any]) -> dict[str, Any]:
    later = WorkCalendar().on_or_after(date.fromisoformat(case["due_on"]) + timedelta(days=30))
    return {"due_on": later.isoformat(), "reason": "工程复杂"}


def _clock(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
    township = ctx["place"]["township"]
    return client.put(
        f"/api/v1/townships/{township}/opinion-clock", json={"opinion_days": 15}, headers=auth
    )


def _unit(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
    county = ctx["place"]["county"]
    body = bodies.unit(f"new-{county}-{ctx['n']}", "县新单位", county)
    return client.post("/api/v1/units", json=body, headers=auth)


DUE = (china_today() + timedelta(days=365)).isoformat()


def _topic_body(place: dict[str, str]) -> dict[str, Any]:
    return {
        "township": place["township"],
        "title": "农村饮用水安全",
        "origin": "plan",
        "year": 2026,
        "measures": [{"description": "改造管网", "owner_unit_id": place["unit"], "due_on": DUE}],
    }


def _open_topic(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
    return client.post("/api/v1/topics", json=_topic_body(ctx["place"]), headers=auth)


def _topic_step(
    path: str, body: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]
) -> Callable[..., Any]:
    def call(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
        topic = ctx["topic"]
        measure = topic["measures"][0]["measure_id"]
        return client.post(
            f"/api/v1/topics/{topic['topic_id']}/{path.format(measure=measure)}",
            json=body(topic) if callable(body) else body,
            headers={**auth, "If-Match": f'"{topic["version"]}"'},
        )

    return call


def _read_topic(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
    return client.get(f"/api/v1/topics/{ctx['topic']['topic_id']}", headers=auth)


def _list_topics(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
    return client.get("/api/v1/topics", params={"township": ctx["place"]["township"]}, headers=auth)


def _statistics(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
    return client.get(
        "/api/v1/statistics", params={"scope": ctx["place"]["township"]}, headers=auth
    )


def _digest_body(place: dict[str, str]) -> dict[str, Any]:
    today = china_today()
    return {
        "scope": place["county"],
        "period_start": (today - timedelta(days=90)).isoformat(),
        "period_end": today.isoformat(),
        "title": "人大代表之声",
    }


def _publish(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
    return client.post("/api/v1/digests", json=_digest_body(ctx["place"]), headers=auth)


def _digest_get(suffix: str) -> Callable[..., Any]:
    def call(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
        return client.get(f"/api/v1/digests/{ctx['digest']['digest_id']}{suffix}", headers=auth)

    return call


def _instruct(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
    body = {"leader": "张主任", "text": "抓紧办理", "case_id": ctx["case"]["case_id"]}
    return client.post(
        f"/api/v1/digests/{ctx['digest']['digest_id']}/instructions", json=body, headers=auth
    )


PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x01" * 2000


def _attach(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
    return client.post(
        f"/api/v1/cases/{ctx['case']['case_id']}/attachments",
        params={"filename": "照片.png"},
        content=PHOTO,
        headers=auth,
    )


def _on_a_file(method: str) -> Callable[..., Any]:
    async def call(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
        path = f"/api/v1/cases/{ctx['case']['case_id']}/attachments/{ctx['file']}"
        return await client.request(method, path, headers=auth)

    return call


def _audit_log(path: str) -> Callable[..., Any]:
    def call(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
        return client.get(path, params={"township": ctx["place"]["township"]}, headers=auth)

    return call


def _export(name: str) -> Callable[..., Any]:
    def call(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
        params = {"scope": ctx["place"]["township"]}
        return client.get(f"/api/v1/exports/{name}.xlsx", params=params, headers=auth)

    return call


AUDIT_READERS = frozenset({"auditor", "county_admin", "township_staff"})


def _todo(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
    return client.get("/api/v1/todo", params={"unit_id": ctx["place"]["unit"]}, headers=auth)


async def _bulk_assign(
    client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]
) -> httpx.Response:
    """Assign one case in bulk; the case's own status stands for the call (207 holds it)."""
    case = ctx["case"]
    item = {"case_id": case["case_id"], "version": case["version"], "lead_unit_id": "traffic"}
    response = await client.post("/api/v1/cases/bulk-assign", json={"items": [item]}, headers=auth)
    if response.status_code != 207:
        return response
    (result,) = response.json()["results"]
    return httpx.Response(result["status"], json=result)


def _merge(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
    case = ctx["case"]
    return client.post(
        f"/api/v1/cases/{case['case_id']}/merge",
        json={"merged_into": ctx["survivor"]["case_id"], "comment": "同一事项"},
        headers={**auth, "If-Match": f'"{case["version"]}"'},
    )


def _listed(path: str, record: str, key: str) -> Callable[..., Any]:
    """List the caller's area; the place's record must be listed on its own place only."""

    async def call(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
        response = await client.get(path, headers=auth)
        if response.status_code == 200:
            ids = {item[key] for item in response.json()}
            own = ctx["place"] is PLACES["own"]
            if (ctx[record][key] in ids) != own:
                seen = "misses its own" if own else "sees the other county's"
                ctx["wrong"].append(f"{path} {seen} {record} {ctx[record][key]}")
        return response

    return call


DECISION = {
    "leader": "王主任",
    "meeting_ref": "主任会议纪要〔2026〕7号",
    "decided_on": "2026-01-05",
}
ON_CASE = frozenset({"deputy", "handling_unit"})
TOPIC_READERS = frozenset(OVERSIGHT | {"deputy"})
DIGEST_READERS = frozenset({"county_admin", "county_leader", "auditor"})
ROUTES = (
    Route("read the audit log", None, AUDIT_READERS, _audit_log("/api/v1/audit")),
    Route("export the audit log", None, AUDIT_READERS, _audit_log("/api/v1/audit/export")),
    Route("read case", "assigned", frozenset(OVERSIGHT | ON_CASE), _get("/api/v1/cases/{case_id}")),
    Route(
        "read timeline",
        "assigned",
        frozenset(OVERSIGHT | ON_CASE),
        _get("/api/v1/cases/{case_id}/timeline"),
    ),
    Route(
        "similar cases",
        "received",
        frozenset(OVERSIGHT | {"deputy"}),
        _get("/api/v1/cases/{case_id}/similar"),
    ),
    Route("file suggestion", None, frozenset(STAFF | {"deputy"}), _file("suggestion")),
    Route("record opinion", None, frozenset(STAFF | {"deputy"}), _file("opinion")),
    Route("accept", "received", frozenset(STAFF), _step("accept", {})),
    Route("answer", "received", frozenset(STAFF), _step("answer", {"answer": "已当场解释"})),
    Route(
        "not accept",
        "received",
        frozenset(STAFF),
        _step("not-accept", {"reason": "personal_matter"}),
    ),
    Route("assign", "accepted", frozenset(STAFF), _step("assign", {"lead_unit_id": "traffic"})),
    Route(
        "key chase (a leader's own, or recorded on a leader's behalf)",
        "assigned",
        frozenset({"county_leader", "county_admin"}),
        _step("key-chase", {"decision": DECISION}),
    ),
    Route("to-do list", None, frozenset({"handling_unit"}), _todo),
    Route("bulk assign", "accepted", frozenset(STAFF), _bulk_assign),
    Route(
        "apply for extension",
        "assigned",
        frozenset({"handling_unit"}),
        _step("extension-request", _extension),
    ),
    Route(
        "grant extension",
        "applied",
        frozenset({"county_admin", "county_leader"}),
        _step("extension-request/grant", {}),
    ),
    Route(
        "refuse extension",
        "applied",
        frozenset({"county_admin", "county_leader"}),
        _step("extension-request/refuse", {"reason": "理由不充分"}),
    ),
    Route(
        "co-opinion",
        "co_assigned",
        frozenset({"handling_unit"}),
        _step("co-opinion", {"text": "同意主办单位意见"}),
    ),
    Route(
        "extend",
        "assigned",
        frozenset({"county_admin", "county_leader"}),
        _step("extend", _extension),
    ),
    Route(
        "reply",
        "assigned",
        frozenset(STAFF | {"handling_unit"}),
        _step("reply", {"reply_class": "A", "text": "已完成"}),
    ),
    Route(
        "return",
        "assigned",
        frozenset(STAFF | {"handling_unit"}),
        _step("return", {"reason": "不属于本单位职责"}),
    ),
    Route(
        "feedback",
        "replied",
        frozenset({"deputy"}),
        _step("feedback", {"process": "satisfied", "result": "satisfied"}),
    ),
    Route("resolve", "follow_up", frozenset(STAFF), _step("resolve", {"comment": "已解决"})),
    Route(
        "reopen",
        "follow_up",
        frozenset(STAFF | {"county_leader"}),
        _step("reopen", {"reason": "instruction", "comment": "领导批示"}),
    ),
    Route("merge", "duplicate", frozenset(STAFF), _merge),
    Route(
        "to suggestion",
        "opinion",
        frozenset(STAFF),
        _step("to-suggestion", {"comment": "转为建议"}),
    ),
    Route(
        "carry over",
        "follow_up",
        frozenset(STAFF),
        _step("carry-over", {"into_year": china_today().year + 1}),
    ),
    Route("opinion clock", None, frozenset(STAFF), _clock),
    Route("register unit", None, frozenset({"county_admin"}), _unit),
    Route(
        "list units",
        "unit",
        frozenset(set(ROLES) - {"operator"}),
        _listed("/api/v1/units", "unit", "unit_id"),
        area_list=True,
    ),
    Route("open topic", None, frozenset(STAFF), _open_topic),
    Route("list topics", None, TOPIC_READERS, _list_topics),
    Route("read topic", "topic", TOPIC_READERS | {"handling_unit"}, _read_topic),
    Route("log follow-up", "topic", frozenset(STAFF), _topic_step("followups", {"note": "已开工"})),
    Route(
        "owner unit's follow-up",
        "topic",
        frozenset(STAFF | {"handling_unit"}),
        _topic_step(
            "followups",
            lambda t: {"note": "管网已开工", "measure_id": t["measures"][0]["measure_id"]},
        ),
    ),
    Route(
        "withdraw measure",
        "topic",
        frozenset(STAFF),
        _topic_step("measures/{measure}/withdraw", {"reason": "误录"}),
    ),
    Route(
        "add measure",
        "topic",
        frozenset(STAFF),
        _topic_step(
            "measures",
            {"description": "水质检测", "owner_unit_id": "water", "due_on": DUE},
        ),
    ),
    Route(
        "submit report",
        "topic_done",
        frozenset(STAFF),
        _topic_step("report", {"text": "整改措施全部完成"}),
    ),
    Route(
        "record vote",
        "topic_reported",
        frozenset(STAFF),
        _topic_step("votes", {"satisfied": 20, "basically_satisfied": 3, "unsatisfied": 1}),
    ),
    Route("close topic", "topic_passed", frozenset(STAFF), _topic_step("close", {})),
    Route("statistics", None, frozenset(OVERSIGHT), _statistics),
    Route("publish digest", None, frozenset({"county_admin"}), _publish),
    Route(
        "list digests",
        "digest",
        DIGEST_READERS,
        _listed("/api/v1/digests", "digest", "digest_id"),
        area_list=True,
    ),
    Route("read digest", "digest", DIGEST_READERS, _digest_get("")),
    Route("digest markdown", "digest", DIGEST_READERS, _digest_get("/markdown")),
    Route("digest docx", "digest", DIGEST_READERS, _digest_get("/docx")),
    Route("instruction", "digest", frozenset({"county_leader"}), _instruct),
    Route("list instructions", "digest", DIGEST_READERS, _digest_get("/instructions")),
    Route("attach a file", "assigned", frozenset(STAFF | ON_CASE), _attach),
    Route(
        "list files",
        "assigned",
        frozenset(OVERSIGHT | ON_CASE),
        _get("/api/v1/cases/{case_id}/attachments"),
    ),
    Route("download a file", "attached", frozenset(OVERSIGHT | ON_CASE), _on_a_file("GET")),
    Route("remove a file", "attached", frozenset(STAFF), _on_a_file("DELETE")),
    Route(
        "assignment sheet",
        "assigned",
        frozenset(OVERSIGHT | ON_CASE),
        _get("/api/v1/cases/{case_id}/documents/assignment-sheet"),
    ),
    Route(
        "feedback form",
        "replied",
        frozenset(OVERSIGHT | ON_CASE),
        _get("/api/v1/cases/{case_id}/documents/feedback-form"),
    ),
    Route("export statistics", None, frozenset(OVERSIGHT), _export("statistics")),
    Route("export per deputy", None, frozenset(OVERSIGHT), _export("deputies")),
)


TOPIC_STATES = ["topic", "topic_done", "topic_reported", "topic_passed"]
TOPIC_STEPS: list[tuple[str, Any]] = [
    (
        "followups",
        lambda t: {"note": "完工", "measure_id": t["measures"][0]["measure_id"], "status": "done"},
    ),
    ("report", {"text": "整改措施全部完成"}),
    ("votes", {"satisfied": 20, "basically_satisfied": 3, "unsatisfied": 1}),
]


def _auth(settings: CasesSettings, role: str, place: dict[str, str]) -> dict[str, str]:
    own = PLACES["own"]
    if role == "township_staff":
        return headers(settings, role, own["township"])
    if role == "deputy":
        return headers(settings, role, own["township"], deputy_id=own["deputy"])
    if role == "handling_unit":
        return headers(settings, role, own["county"], unit_id=own["unit"])
    return headers(settings, role, own["county"])


async def _prepare(
    client: httpx.AsyncClient, settings: CasesSettings, place: dict[str, str], state: str
) -> dict[str, Any]:
    root = headers(settings, "county_admin", PROVINCE)
    if state == "attached":  # an assigned case with a file (made before the call: it is audited)
        case = await _drive(client, settings, place, "assigned")
        made = await _attach(client, {"case": case}, root)
        assert made.status_code == 201, made.text
        return {"case": case, "file": made.json()["id"]}
    if state.startswith("topic"):
        made = await client.post("/api/v1/topics", json=_topic_body(place), headers=root)
        assert made.status_code == 201, made.text
        topic = made.json()
        for step, body in TOPIC_STEPS[: TOPIC_STATES.index(state)]:
            call = _topic_step(step, body)
            done = await call(client, {"topic": topic}, root)
            assert done.status_code == 200, done.text
            topic = done.json()
        return {"topic": topic}
    if state == "duplicate":  # two received suggestions of the place: one merges into the other
        survivor = await _drive(client, settings, place, "received")
        return {"case": await _drive(client, settings, place, "received"), "survivor": survivor}
    if state == "opinion":  # a constituent's opinion, received
        body = bodies.opinion(place["deputy"], place["township"])
        made = await client.post("/api/v1/opinions", json=body, headers=root)
        assert made.status_code == 201, made.text
        return {"case": made.json()}
    if state == "unit":  # a unit serving the place's county
        body = bodies.unit(f"unit-{uuid.uuid4().hex[:8]}", "县住建局", place["county"])
        made = await client.post("/api/v1/units", json=body, headers=root)
        assert made.status_code == 201, made.text
        return {"unit": made.json()}
    if state == "digest":
        case = await _drive(client, settings, place, "assigned")
        digest = await client.post("/api/v1/digests", json=_digest_body(place), headers=root)
        assert digest.status_code == 201, digest.text
        return {"case": case, "digest": digest.json()}
    if state == "applied":  # the lead unit applied for the extension
        case = await _drive(client, settings, place, "assigned")
        unit = headers(settings, "handling_unit", place["county"], unit_id=place["unit"])
        applied = await client.post(
            f"/api/v1/cases/{case['case_id']}/extension-request",
            json=_extension(case),
            headers={**unit, "If-Match": f'"{case["version"]}"'},
        )
        assert applied.status_code == 200, applied.text
        return {"case": applied.json()}
    if state == "co_assigned":  # the place's unit co-handles (会办)
        case = await _drive(client, settings, place, "accepted")
        assigned = await client.post(
            f"/api/v1/cases/{case['case_id']}/assign",
            json={"lead_unit_id": "education", "co_unit_ids": [place["unit"]]},
            headers={**root, "If-Match": f'"{case["version"]}"'},
        )
        assert assigned.status_code == 200, assigned.text
        return {"case": assigned.json()}
    return {"case": await _drive(client, settings, place, state)}


async def _drive(
    client: httpx.AsyncClient, settings: CasesSettings, place: dict[str, str], state: str
) -> dict[str, Any]:
    root = headers(settings, "county_admin", PROVINCE)
    deputy = headers(settings, "deputy", place["township"], deputy_id=place["deputy"])
    body = bodies.suggestion(place["deputy"], place["township"])
    case = (await client.post("/api/v1/suggestions", json=body, headers=root)).json()
    plan = [
        ("accept", {}, root),
        ("assign", {"lead_unit_id": place["unit"]}, root),
        ("reply", {"reply_class": "B", "text": "正在办理", "follow_up_due_on": "2030-06-30"}, root),
        ("feedback", {"process": "satisfied", "result": "satisfied"}, deputy),
    ]
    order = ["received", "accepted", "assigned", "replied", "follow_up"]
    for path, payload, auth in plan[: order.index(state)]:
        response = await client.post(
            f"/api/v1/cases/{case['case_id']}/{path}",
            json=payload,
            headers={**auth, "If-Match": f'"{case["version"]}"'},
        )
        assert response.status_code == 200, response.text
        case = response.json()
    assert case["state"] == state
    return dict(case)


async def matrix(database_url: str, topic_prefix: str, tmp_path: Path) -> Report:
    """Run this service's matrix on the shared runner (tests/authz runs it for the platform)."""
    settings = settings_for(database_url, topic_prefix, attachments_dir=str(tmp_path))
    root = headers(settings, "county_admin", PROVINCE)
    wrong: list[str] = []
    calls = itertools.count()
    async with running_app(settings, relay=False) as (service, client):
        for unit_id, name in bodies.UNITS:
            await client.post("/api/v1/units", json=bodies.unit(unit_id, name, "99"), headers=root)

        async def prepare(route: Route, where: str) -> dict[str, Any]:
            place = PLACES[where]
            ctx: dict[str, Any] = {"place": place, "n": next(calls), "wrong": wrong}
            if route.state is not None:
                ctx.update(await _prepare(client, settings, place, route.state))
            return ctx

        report = await run_matrix(
            "cases",
            client,
            openapi=service.app.openapi(),
            routes=ROUTES,
            expect=lambda route, role, where: (
                None if (where == "own" or route.area_list) and role in route.allowed else 403
            ),
            auth=lambda role, where: _auth(settings, role, PLACES["own"]),
            prepare=prepare,
            audit=(service.runtime.engine, service.runtime.tables.audit_log),
            exempt={
                "GET /api/v1/cases": "every role's list: its visibility is checked below",
                "GET /api/v1/exports/cases.xlsx": "the list's export per role: checked below",
            },
        )
        for role in ROLES:
            listed = await client.get("/api/v1/cases", headers=_auth(settings, role, PLACES["own"]))
            expected = 403 if role == "operator" else 200
            if listed.status_code != expected:
                wrong.append(f"list / {role}: {listed.status_code}")
            elif role != "operator":
                townships = {c["township"] for c in listed.json()["items"]}
                if "990102001" in townships:
                    wrong.append(f"list / {role}: sees the other county")
        for role in ROLES:  # the list's export: the list's own visibility
            auth = _auth(settings, role, PLACES["own"])
            exported = await client.get("/api/v1/exports/cases.xlsx", headers=auth)
            expected = 403 if role == "operator" else 200
            if exported.status_code != expected:
                wrong.append(f"export list / {role}: {exported.status_code}")
            elif role != "operator":
                sheet = openpyxl.load_workbook(io.BytesIO(exported.content))["案件清单"]
                if any(row[2] == "西山乡" for row in sheet.iter_rows(min_row=2, values_only=True)):
                    wrong.append(f"export list / {role}: sees the other county")
            if role in OVERSIGHT:
                other = {"township": PLACES["other"]["township"]}
                refused = await client.get("/api/v1/exports/cases.xlsx", params=other, headers=auth)
                if refused.status_code != 403:
                    wrong.append(f"export list / {role} / other: {refused.status_code}")
    report.wrong += wrong
    return report
