"""Routes: planned activities, calendars with iCalendar feeds, sign-in sheet, coverage."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from pydantic import AwareDatetime, BaseModel, Field

from deputies.adapters.plans import FeedToken, PlanStore
from deputies.documents import ical, sheets, signin
from deputies.domain.access import ScopeError, can_read, require_county_admin, require_write
from deputies.domain.errors import NotFoundError
from deputies.domain.feeds import FeedKind, feed_key, new_token_id, sign, verify
from deputies.domain.model import ActivityType, DeputyStatus, Level
from deputies.domain.plans import Place, PlanState
from deputies.entrypoints.api.deps import (
    CallerDep,
    IdempotencyKey,
    IfMatch,
    PagingDep,
    etag,
    keyed,
    page_body,
)
from deputies.entrypoints.api.schemas import (
    AttendanceIn,
    Body,
    PageOut,
    Reason,
    Title,
    TownshipCode,
)
from deputies.handlers.context import Caller, Services, replayed
from deputies.handlers.plans import (
    PlanDetails,
    cancel_plan,
    hold_plan,
    plan_activity,
    reschedule_plan,
)
from deputies.views import calendar as cal, coverage as cov
from deputies.views.common import reads_all
from kit import clock
from kit.principal import Principal, Role
from kit.web.problems import Unauthorized

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ICS = "text/calendar; charset=utf-8"
TYPE_LABELS = {
    "training": "培训",
    "reception_day": "接待选民日",
    "inspection": "视察",
    "research": "调研",
    "law_inspection": "执法检查",
    "work_evaluation": "工作评议",
    "congress_session": "人代会",
    "deputy_group": "代表小组活动",
    "report_to_voters": "述职",
    "public_welfare": "公益活动",
    "other": "其他活动",
}
#: A feed shows plans from this long ago on (a calendar app keeps what it saw before).
FEED_PAST = timedelta(days=92)
FEED_LIMIT = 500
FEEDS = "/api/v1/calendar/feeds/"
"""Where the feeds live: outside the bearer check, each route checks its signed token."""
Address = Annotated[str, Field(min_length=1, max_length=500)]


class PlanIn(Body):
    """An activity to plan: what, when (with zone), where, and who is expected."""

    township: TownshipCode
    type: ActivityType
    title: Title
    levels: list[Level] = Field(default_factory=lambda: [Level.township], min_length=1)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    station_id: str | None = None
    address: Address | None = None
    expected: list[str] | None = Field(
        default=None,
        description="Deputy ids; default: the station's deputies, else the township's",
        max_length=2000,
    )


class RescheduleIn(Body):
    """A new time or place, and why."""

    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    station_id: str | None = None
    address: Address | None = None
    reason: Reason


class PlanCancelIn(Body):
    """Why a plan is called off."""

    reason: Reason


class HeldIn(Body):
    """The attendance of a held plan."""

    attendance: list[AttendanceIn] = Field(default_factory=list, max_length=2000)


class ExpectedOut(BaseModel):
    """A deputy expected at a plan."""

    deputy_id: str
    name: str
    township: str


class PlanOut(BaseModel):
    """A planned activity."""

    id: str
    township: str
    type: ActivityType
    title: str
    levels: list[Level]
    starts_at: datetime
    ends_at: datetime
    station_id: str | None
    address: str | None
    state: PlanState
    sequence: int
    host: str
    version: int
    expected: list[ExpectedOut] | None = None


class FeedTokenIn(Body):
    """Which calendar to subscribe to: a township's, a station's or a deputy's."""

    kind: FeedKind
    key: Annotated[str, Field(min_length=1, max_length=36)]


class FeedTokenOut(BaseModel):
    """A feed token and the URL a calendar app subscribes to."""

    id: str
    kind: FeedKind
    key: str
    url: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    subject: str


class TokenOwners(StrEnum):
    """Whose feed tokens a list shows: the caller's own, or every one of the caller's county."""

    mine = "mine"
    county = "county"


def _filter(kind: FeedKind, key: str, since: datetime | None) -> cal.CalendarFilter:
    return cal.CalendarFilter(
        township=key if kind is FeedKind.township else None,
        station_id=key if kind is FeedKind.station else None,
        deputy_id=key if kind is FeedKind.deputy else None,
        starts_from=since,
    )


def _principal(token: FeedToken) -> Principal:
    """Return the person a token reads as: their roles and scope when it was issued."""
    return Principal(
        subject=token.subject,
        roles=frozenset(Role(r) for r in token.roles),
        scope=token.scope,
        deputy_id=token.deputy_id,
    )


def router(svc: Services, *, secret: bytes, county_name: str, token_days: int) -> APIRouter:
    """Return the planned-activity, calendar and coverage routes."""
    api = APIRouter(tags=["planned activities"])
    key = feed_key(secret)
    lifetime = timedelta(days=token_days)

    async def read(caller: Caller, plan_id: str) -> dict[str, Any]:
        async with svc.uow() as uow:
            return await cal.get_plan(uow.session, svc.tables, caller.viewer, plan_id)

    @api.post(
        "/planned-activities",
        response_model=PlanOut,
        status_code=status.HTTP_201_CREATED,
        summary="Plan an activity (its deputies are invited)",
    )
    async def create(
        body: PlanIn, caller: CallerDep, response: Response, key_: IdempotencyKey = None
    ) -> dict[str, Any]:
        caller = keyed(caller, key_, body)
        details = PlanDetails(
            township=body.township,
            type=body.type,
            title=body.title,
            levels=frozenset(body.levels),
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            place=Place(body.station_id, body.address),
            expected=frozenset(body.expected) if body.expected is not None else None,
        )
        plan_id = await replayed(svc, caller) or (await plan_activity(svc, caller, details)).id
        item = await read(caller, plan_id)
        etag(response, item["version"])
        return item

    @api.get("/planned-activities/{plan_id}", response_model=PlanOut, summary="Read a plan")
    async def get_plan(plan_id: str, caller: CallerDep, response: Response) -> dict[str, Any]:
        item = await read(caller, plan_id)
        etag(response, item["version"])
        return item

    @api.post(
        "/planned-activities/{plan_id}/reschedule",
        response_model=PlanOut,
        summary="Move a plan (If-Match); SEQUENCE goes up",
    )
    async def reschedule(
        plan_id: str, body: RescheduleIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        changes = body.model_dump(exclude_unset=True, exclude={"reason"})
        plan = await reschedule_plan(svc, caller, plan_id, version, changes, body.reason)
        etag(response, plan.version)
        return await read(caller, plan.id)

    @api.post(
        "/planned-activities/{plan_id}/cancel",
        response_model=PlanOut,
        summary="Call a plan off (If-Match)",
    )
    async def cancel(
        plan_id: str, body: PlanCancelIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        plan = await cancel_plan(svc, caller, plan_id, version, body.reason)
        etag(response, plan.version)
        return await read(caller, plan.id)

    @api.post(
        "/planned-activities/{plan_id}/held",
        response_model=PlanOut,
        summary="Mark a plan held with its attendance (If-Match): logged as /activities/{id}",
    )
    async def hold(
        plan_id: str, body: HeldIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        marks = {a.deputy_id: a.mark for a in body.attendance}
        plan, _ = await hold_plan(svc, caller, plan_id, version, marks)
        etag(response, plan.version)
        return await read(caller, plan.id)

    async def _export_rows(
        caller: Caller, plan_id: str, fmt: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, str]]:
        """Return a plan, its deputies with their marks and township names; audit the export."""
        async with svc.uow() as uow:
            item = await cal.get_plan(uow.session, svc.tables, caller.viewer, plan_id)
            if not can_read(caller.viewer, item["township"]):
                raise ScopeError("exports are for staff")
            rows = await cov.plan_attendance(uow.session, svc.tables, plan_id)
            names = await cov.township_names(uow.session, svc.tables)
            station = await cov.station_place(uow.session, svc.tables, item["station_id"])
            item["place"] = station or item["address"] or ""
            svc.audit.add(
                uow,
                actor=caller.principal,
                action="export",
                resource_type="planned_activity",
                resource_id=plan_id,
                township=item["township"],
                detail={"format": fmt, "rows": len(rows)},
            )
            await uow.commit()
        return item, rows, names

    @api.get(
        "/planned-activities/{plan_id}/sign-in-sheet",
        summary="The sign-in sheet (签到表) as DOCX",
        response_class=Response,
        responses={200: {"content": {DOCX: {}}}},
    )
    async def sign_in_sheet(plan_id: str, caller: CallerDep) -> Response:
        item, rows, names = await _export_rows(caller, plan_id, "docx")
        sheet = signin.SheetActivity(
            county=county_name,
            township=names.get(item["township"], ""),
            title=item["title"],
            type_label=TYPE_LABELS[item["type"]],
            starts_at=item["starts_at"],
            ends_at=item["ends_at"],
            place=item["place"],
            names=tuple(
                (r["name"], names.get(r["township"], r["township"])) for r in rows if r["expected"]
            ),
        )
        return Response(
            await asyncio.to_thread(signin.render, sheet),
            media_type=DOCX,
            headers={"Content-Disposition": f'attachment; filename="sign-in-{plan_id}.docx"'},
        )

    @api.get(
        "/planned-activities/{plan_id}/attendance.xlsx",
        summary="The attendance with names, as XLSX",
        response_class=Response,
        responses={200: {"content": {XLSX: {}}}},
    )
    async def attendance_export(plan_id: str, caller: CallerDep) -> Response:
        item, rows, names = await _export_rows(caller, plan_id, "xlsx")
        for r in rows:
            r["township"] = names.get(r["township"], r["township"])
        title = f"{item['title']}（{item['starts_at'].astimezone(clock.CHINA):%Y-%m-%d}）"
        return Response(
            await asyncio.to_thread(sheets.attendance, title, rows),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="attendance-{plan_id}.xlsx"'},
        )

    @api.get(
        "/calendar",
        response_model=PageOut[PlanOut],
        summary="Upcoming planned activities of a township, a station or a deputy (paginated)",
    )
    async def calendar(
        caller: CallerDep,
        paging: PagingDep,
        township: Annotated[str | None, Query(pattern=r"^\d{2,9}$")] = None,
        station_id: str | None = None,
        deputy_id: str | None = None,
        starts_from: Annotated[AwareDatetime | None, Query(alias="from")] = None,
        starts_to: Annotated[AwareDatetime | None, Query(alias="to")] = None,
        state: PlanState | None = None,
    ) -> dict[str, Any]:
        if deputy_id is station_id is township is None and not reads_all(caller.viewer):
            deputy_id = caller.viewer.deputy_id  # a deputy's calendar is their own
        f = cal.CalendarFilter(
            township=township,
            station_id=station_id,
            deputy_id=deputy_id,
            starts_from=starts_from or svc.now(),
            starts_to=starts_to,
            state=state.value if state else None,
        )
        async with svc.uow() as uow:
            page = await cal.list_calendar(
                uow.session,
                svc.tables,
                caller.viewer,
                f,
                page=paging.page,
                page_size=paging.page_size,
            )
        return page_body(page)

    def _out(token: FeedToken) -> dict[str, Any]:
        return {
            "id": token.id,
            "kind": token.feed_kind,
            "key": token.feed_key,
            "url": f"{FEEDS}{sign(key, token.id)}.ics",
            "created_at": token.created_at,
            "expires_at": token.created_at + lifetime,
            "revoked_at": token.revoked_at,
            "subject": token.subject,
        }

    @api.post(
        "/calendar/feed-tokens",
        response_model=FeedTokenOut,
        status_code=status.HTTP_201_CREATED,
        summary="Issue a calendar feed token for a calendar the caller may read",
    )
    async def issue(body: FeedTokenIn, caller: CallerDep) -> dict[str, Any]:
        viewer = caller.viewer
        token = FeedToken(
            id=new_token_id(),
            subject=viewer.subject,
            roles=frozenset(r.value for r in viewer.roles),
            scope=viewer.scope,
            deputy_id=viewer.deputy_id,
            feed_kind=body.kind.value,
            feed_key=body.key,
            created_at=svc.now(),
        )
        async with svc.uow() as uow:
            await cal.calendar_query(
                uow.session, svc.tables, viewer, _filter(body.kind, body.key, None)
            )
            await PlanStore(uow, svc.tables).add_token(token)
            svc.audit.add(
                uow,
                actor=caller.principal,
                action="issue_feed_token",
                resource_type="feed_token",
                resource_id=token.id,
                township=body.key if body.kind is FeedKind.township else None,
                detail={"kind": body.kind.value, "key": body.key},
            )
            await uow.commit()
        return _out(token)

    @api.get(
        "/calendar/feed-tokens",
        response_model=list[FeedTokenOut],
        summary="The caller's own feed tokens, or (county_admin, `owners=county`) the county's",
    )
    async def list_tokens(
        caller: CallerDep, owners: TokenOwners = TokenOwners.mine
    ) -> list[dict[str, Any]]:
        viewer = caller.viewer
        if owners is TokenOwners.county:
            # the county administration finds the tokens of people who left, to revoke them
            require_county_admin(viewer, viewer.scope)
        async with svc.uow() as uow:
            store = PlanStore(uow, svc.tables)
            if owners is TokenOwners.county:
                tokens = await store.tokens_in(viewer.scope[:6])
            else:
                tokens = await store.tokens_of(viewer.subject)
        return [_out(t) for t in tokens]

    @api.delete(
        "/calendar/feed-tokens/{token_id}",
        status_code=status.HTTP_204_NO_CONTENT,
        summary="Revoke a feed token (its owner, or county_admin of its county)",
    )
    async def revoke(token_id: str, caller: CallerDep) -> Response:
        async with svc.uow() as uow:
            store = PlanStore(uow, svc.tables)
            token = await store.token(token_id)
            if token is None:
                raise NotFoundError(f"feed token {token_id}")
            if token.subject != caller.viewer.subject:
                require_write(caller.viewer, token.scope[:6])
                if not caller.viewer.has(Role.county_admin):
                    raise ScopeError("only the owner or the county administration revokes")
            await store.revoke_token(token_id)
            svc.audit.add(
                uow,
                actor=caller.principal,
                action="revoke_feed_token",
                resource_type="feed_token",
                resource_id=token_id,
                detail={"owner": token.subject},
            )
            await uow.commit()
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    async def _refusal(found: FeedToken | None, token_id: str | None) -> str | None:
        """Return why a feed token opens nothing (None: it opens its calendar)."""
        if found is None:
            return "unknown" if token_id else "forged"
        if found.revoked_at is not None:
            return "revoked"
        if svc.now() >= found.created_at + lifetime:
            return "expired"
        if Role.deputy.value in found.roles and found.deputy_id is not None:
            async with svc.uow() as uow:  # a deputy's rights end with their mandate
                standing = await PlanStore(uow, svc.tables).deputy_status(found.deputy_id)
            if standing is not DeputyStatus.active:
                return "holder_not_serving"
        return None

    @api.get(
        "/calendar/feeds/{token}.ics",
        summary="A calendar as iCalendar (the token in the URL stands for the bearer header)",
        response_class=Response,
        responses={200: {"content": {"text/calendar": {}}}},
    )
    async def feed(token: str) -> Response:
        token_id = verify(key, token)
        found: FeedToken | None = None
        if token_id is not None:
            async with svc.uow() as uow:
                found = await PlanStore(uow, svc.tables).token(token_id)
        reason = await _refusal(found, token_id)
        if found is None or reason is not None:
            # counted (kit_http_refusals{reason="invalid_token"}), logged and audited by the kit
            reason = reason or "forged"
            raise Unauthorized(f"feed token {reason}", error="invalid_token", reason=reason)
        viewer = _principal(found)
        kind = FeedKind(found.feed_kind)
        async with svc.uow() as uow:  # read with the rights the person had: 403 once outside
            items = await cal.calendar_rows(
                uow.session,
                svc.tables,
                viewer,
                _filter(kind, found.feed_key, svc.now() - FEED_PAST),
                limit=FEED_LIMIT,
            )
            names = await cov.township_names(uow.session, svc.tables)
        label = names.get(found.feed_key, found.feed_key)
        body = await asyncio.to_thread(
            ical.render,
            f"{county_name}{label}履职活动",
            items,
            domain="deputies.npc",
            stamp=svc.now(),
        )
        return Response(body, media_type=ICS, headers={"Cache-Control": "private, max-age=300"})

    @api.get(
        "/coverage",
        summary="Participation and training coverage of a township or a deputy for a period",
    )
    async def coverage(
        caller: CallerDep,
        starts: Annotated[date, Query(alias="from")],
        ends: Annotated[date, Query(alias="to")],
        township: Annotated[str | None, Query(pattern=r"^\d{9}$")] = None,
        deputy_id: str | None = None,
    ) -> dict[str, Any]:
        async with svc.uow() as uow:
            rows = await cov.coverage_rows(
                uow.session, svc.tables, caller.viewer, township, deputy_id, starts, ends
            )
        return {
            "from": starts,
            "to": ends,
            "deputies": len(rows),
            "untrained": sum(not r.trained for r in rows),
            "items": [cov.coverage_dict(r) for r in rows],
        }

    @api.get(
        "/coverage.xlsx",
        summary="Participation and training coverage as XLSX",
        response_class=Response,
        responses={200: {"content": {XLSX: {}}}},
    )
    async def coverage_xlsx(
        caller: CallerDep,
        starts: Annotated[date, Query(alias="from")],
        ends: Annotated[date, Query(alias="to")],
        township: Annotated[str | None, Query(pattern=r"^\d{9}$")] = None,
        deputy_id: str | None = None,
    ) -> Response:
        async with svc.uow() as uow:
            rows = await cov.coverage_rows(
                uow.session, svc.tables, caller.viewer, township, deputy_id, starts, ends
            )
            names = await cov.township_names(uow.session, svc.tables)
            svc.audit.add(
                uow,
                actor=caller.principal,
                action="export",
                resource_type="coverage",
                township=township,
                detail={
                    "format": "xlsx",
                    "rows": len(rows),
                    "from": starts.isoformat(),
                    "to": ends.isoformat(),
                    "deputy_id": deputy_id or "",
                },
            )
            await uow.commit()
        return Response(
            await asyncio.to_thread(sheets.coverage, rows, names),
            media_type=XLSX,
            headers={"Content-Disposition": 'attachment; filename="coverage.xlsx"'},
        )

    return api
