"""The authorisation matrix: every route x role x a caller of the recipient's area or another.

A denied call is exactly its refusal (403, or 404 for another person's inbox item) and changes
nothing; an allowed one is never 401/403/404.
Declarations on the shared runner (kit.authz_matrix); tests/authz runs them for the platform:
`pytest tests/authz -k <service>`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
from notify_harness import headers, running_app, settings_for

from contracts.vocabulary import RecipientKind
from kit.authz_matrix import Report, run_matrix
from notify.adapters.directory import DirectoryStore
from notify.domain.directory import Entry, Office
from notify.domain.model import Channel, RecipientRef
from notify.settings import NotifySettings
from notify.wiring import Core

PLACES = {
    "own": {"county": "330102", "township": "330102001", "deputy": "dep-a", "unit": "U-a"},
    "other": {"county": "330103", "township": "330103001", "deputy": "dep-b", "unit": "U-b"},
}
COUNTY_SCOPED = {"county_admin", "county_leader", "auditor", "operator"}
TARGET = PLACES["own"]
NOW = datetime(2025, 3, 4, 2, tzinfo=UTC)

Call = Callable[[httpx.AsyncClient, dict[str, Any], dict[str, str]], Any]


@dataclass(frozen=True)
class Route:
    """A route, who may call it (by role and place) and how a denial answers."""

    name: str
    allowed: Callable[[str, str], bool]
    call: Call
    denied: int = 403
    denial: Callable[[str, str], int] | None = None  # when the code depends on role and place

    def refusal(self, role: str, where: str) -> int:
        """Return the code a denied call answers."""
        return self.denial(role, where) if self.denial else self.denied


def _auth(settings: NotifySettings, role: str, place: dict[str, str]) -> dict[str, str]:
    scope = place["county"] if role in COUNTY_SCOPED else place["township"]
    return headers(
        settings,
        role,
        scope,
        subject=f"{role}-{place['township']}-{uuid4().hex[:6]}",
        deputy_id=place["deputy"] if role == "deputy" else None,
        unit_id=place["unit"] if role == "handling_unit" else None,
    )


def _failed_row(delivery_id: str) -> dict[str, Any]:
    return {
        "delivery_id": delivery_id,
        "event_id": str(uuid4()),
        "recipient_kind": "deputy",
        "recipient_id": TARGET["deputy"],
        "channel": "email",
        "township": TARGET["township"],
        "event_type": "cases.case.replied",
        "event_time": NOW,
        "subject": "C-2025-000123",
        "template": "cases.case.replied",
        "status": "failed",
        "urgent": False,
        "held": False,
        "title": "答复",
        "body": "正文",
        "segments": 0,
        "attempts": 3,
        "error_kind": "retries_exhausted",
        "last_error": "SMTP 451",
        "created_at": NOW,
        "finished_at": NOW,
    }


async def _seed(core: Core) -> None:
    async with core.services.uow() as uow:
        directory = DirectoryStore(uow.session, core.services.tables)
        for place in PLACES.values():
            unit = Entry(RecipientKind.handling_unit, place["unit"], "单位", place["county"],
                         contacts={Channel.email: f"{place['unit']}@example.cn"})  # fmt: skip
            staff = Entry(RecipientKind.staff, f"S-{place['township']}", "乡镇人大",
                          place["township"], offices=frozenset({Office.township_staff}))  # fmt: skip
            await directory.save(unit, 0)
            await directory.save(staff, 0)
        store = core.services.store(uow)
        for place in PLACES.values():
            ref = RecipientRef(RecipientKind.deputy, place["deputy"])
            await store.upsert_recipient(ref, name="代表", township=place["township"], active=True)
            await store.set_contact(ref, Channel.email, f"{place['deputy']}@example.cn")
        await store.add_inbox_items(
            [
                {
                    "item_id": "item-a",
                    "recipient_kind": "deputy",
                    "recipient_id": TARGET["deputy"],
                    "township": TARGET["township"],
                    "event_id": str(uuid4()),
                    "event_type": "cases.case.replied",
                    "subject": "C-2025-000123",
                    "title": "答复",
                    "body": "正文",
                    "created_at": NOW,
                }
            ]
        )
        await uow.commit()


def _resend(client: httpx.AsyncClient, ctx: dict[str, Any], auth: dict[str, str]) -> Any:
    return client.post(f"/api/v1/deliveries/{ctx['delivery_id']}/resend", headers=auth)


READERS = {"county_admin", "township_staff", "operator"}


def _put(path: str, body: dict[str, Any]) -> Call:
    return lambda c, ctx, a: c.put(
        f"/api/v1/directory/{path}-{ctx['delivery_id'][:8]}",
        json=body,
        headers={**a, "If-Match": '"0"'},
    )


def _import(kind: str, line: str) -> Call:
    return lambda c, ctx, a: c.post(
        f"/api/v1/directory/import?kind={kind}",
        content=f"id,name,{line}".replace("{n}", ctx["delivery_id"][:8]).encode(),
        headers={**a, "Content-Type": "text/csv"},
    )


def _rows_out(allowed_roles: set[str]) -> Callable[[str, str], int]:
    """A file whose rows lie outside the caller's area is refused row by row (422)."""
    return lambda role, where: 422 if role in allowed_roles else 403


DIRECTORY_ROUTES = (
    Route(
        "list units",
        lambda role, where: role in READERS,
        lambda c, ctx, a: c.get("/api/v1/directory/units", headers=a),
    ),
    Route(
        "get unit",
        lambda role, where: role in READERS and where == "own",
        lambda c, ctx, a: c.get(f"/api/v1/directory/units/{TARGET['unit']}", headers=a),
    ),
    Route(
        "put unit",
        lambda role, where: role == "county_admin" and where == "own",
        _put("units/U", {"name": "县水利局", "county": TARGET["county"]}),
    ),
    Route(
        "list staff",
        lambda role, where: role in READERS,
        lambda c, ctx, a: c.get("/api/v1/directory/staff", headers=a),
    ),
    Route(
        "get staff",
        lambda role, where: role in READERS and where == "own",
        lambda c, ctx, a: c.get(f"/api/v1/directory/staff/S-{TARGET['township']}", headers=a),
    ),
    Route(
        "put staff",
        lambda role, where: role in {"county_admin", "township_staff"} and where == "own",
        _put(
            "staff/S",
            {"name": "人大", "township": TARGET["township"], "offices": ["township_chair"]},
        ),
    ),
    Route(
        "list deputies",
        lambda role, where: role in READERS,
        lambda c, ctx, a: c.get("/api/v1/directory/deputies", headers=a),
    ),
    Route(
        "import units",
        lambda role, where: role == "county_admin" and where == "own",
        _import("units", "county\nU-{n},县民政局," + TARGET["county"]),
        denial=_rows_out({"county_admin"}),
    ),
    Route(
        "import staff",
        lambda role, where: role in {"county_admin", "township_staff"} and where == "own",
        _import("staff", "township\nS-{n},人大," + TARGET["township"]),
        denial=_rows_out({"county_admin", "township_staff"}),
    ),
)

AUDIT_READERS = {"auditor", "county_admin", "township_staff"}
ROUTES = (
    *DIRECTORY_ROUTES,
    Route(
        "read the audit log",
        lambda role, where: role in AUDIT_READERS and where == "own",
        lambda c, ctx, a: c.get(
            "/api/v1/audit", params={"township": TARGET["township"]}, headers=a
        ),
    ),
    Route(
        "export the audit log",
        lambda role, where: role in AUDIT_READERS and where == "own",
        lambda c, ctx, a: c.get(
            "/api/v1/audit/export", params={"township": TARGET["township"]}, headers=a
        ),
    ),
    Route(
        "get inbox",
        lambda role, where: True,
        lambda c, ctx, a: c.get("/api/v1/inbox", headers=a),
    ),
    Route(
        "mark read",
        lambda role, where: role == "deputy" and where == "own",
        lambda c, ctx, a: c.post("/api/v1/inbox/item-a/read", headers=a),
        denied=404,
    ),
    Route(
        "get preferences",
        lambda role, where: True,
        lambda c, ctx, a: c.get("/api/v1/preferences", headers=a),
    ),
    Route(
        "put preferences",
        lambda role, where: True,
        lambda c, ctx, a: c.put(
            "/api/v1/preferences",
            json={"channels": ["email", "sms"]},
            headers={**a, "If-Match": '"0"'},
        ),
    ),
    Route(
        "delivery log",
        lambda role, where: (
            where == "own" and role in {"county_admin", "township_staff", "operator", "deputy"}
        ),
        lambda c, ctx, a: c.get(
            f"/api/v1/recipients/deputy/{TARGET['deputy']}/deliveries", headers=a
        ),
    ),
    Route(
        "resend",
        lambda role, where: where == "own" and role in {"county_admin", "operator"},
        _resend,
    ),
    Route(
        "preview",
        lambda role, where: role == "county_admin",
        lambda c, ctx, a: c.post(
            "/api/v1/templates/cases.case.replied/preview", json={"channel": "sms"}, headers=a
        ),
    ),
    Route(
        "set contacts",
        lambda role, where: where == "own" and role == "county_admin",
        lambda c, ctx, a: c.put(
            f"/api/v1/recipients/deputy/{TARGET['deputy']}/contacts",
            json={"sms": "13800001234"},
            headers=a,
        ),
    ),
)


async def matrix(database_url: str, topic_prefix: str) -> Report:
    """Run this service's matrix on the shared runner (tests/authz runs it for the platform)."""
    settings = settings_for(database_url, topic_prefix)
    wrong: list[str] = []
    async with running_app(settings) as (service, client):
        core = Core(service.runtime, service.services)
        await _seed(core)

        async def prepare(route: Route, where: str) -> dict[str, Any]:
            ctx = {"delivery_id": str(uuid4())}
            async with core.services.uow() as uow:
                await core.services.store(uow).add_deliveries([_failed_row(ctx["delivery_id"])])
                await uow.commit()
            return ctx

        report = await run_matrix(
            "notify",
            client,
            openapi=service.app.openapi(),
            routes=ROUTES,
            expect=lambda route, role, where: (
                None if route.allowed(role, where) else route.refusal(role, where)
            ),
            auth=lambda role, where: _auth(settings, role, PLACES[where]),
            prepare=prepare,
            audit=(service.runtime.engine, service.runtime.tables.audit_log),
            exempt={"GET /api/v1/deliveries": "the subject log: what each place sees, below"},
        )
        for where, expected in (("own", True), ("other", False)):
            auth = _auth(settings, "county_admin", PLACES[where])
            about = await client.get("/api/v1/deliveries?subject=C-2025-000123", headers=auth)
            if bool(about.json()) != expected:
                wrong.append(f"subject log / {where}: {len(about.json())} rows")
        for kind, own_id in (("units", TARGET["unit"]), ("staff", f"S-{TARGET['township']}"),
                             ("deputies", TARGET["deputy"])):  # fmt: skip
            for where, expected in (("own", True), ("other", False)):
                for role in READERS:
                    auth = _auth(settings, role, PLACES[where])
                    listed = await client.get(f"/api/v1/directory/{kind}", headers=auth)
                    ids = {e["id"] for e in listed.json()}
                    if (own_id in ids) != expected:
                        wrong.append(f"list {kind} / {role} / {where}: sees {sorted(ids)}")
                    if any("@" in v and "***" not in v for e in listed.json()
                           for v in e["contacts"].values()):  # fmt: skip
                        wrong.append(f"list {kind} / {role} / {where}: an address unmasked")
    report.wrong += wrong
    return report
