"""Excel exports: a case list with its filters, statistics, statistics per deputy; each audited.

Each export reads exactly what its on-screen counterpart lets the caller read: the case list
through the list's own visibility (a unit its cases, a deputy theirs, staff their township),
statistics through the statistics' rule (staff, leaders and auditors of the area).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from cases.documents.workbooks import (
    DeputyLine,
    Filters,
    cases_workbook,
    deputies_workbook,
    period_lines,
    statistics_workbook,
)
from cases.domain.access import OVERSIGHT
from cases.domain.errors import ForbiddenError, invalid
from cases.domain.statistics import CaseFacts, overall, tally
from cases.handlers.context import Caller, Services
from cases.views import cases as views
from cases.views.facts import case_facts, names
from contracts.vocabulary import CaseKind
from kit.db.ranges import within
from kit.principal import Principal, Role

MAX_ROWS = 50_000
"""Most cases one list export carries (a larger one is refused: narrow the filters)."""
PAGE = 1_000


@dataclass(frozen=True)
class Period:
    """What a statistics export covers."""

    scope: str | None
    start: date | None
    end: date | None
    kind: CaseKind | None


def require_statistics_reader(principal: Principal, area: str) -> None:
    """Let staff, leaders and auditors read statistics of an area inside their scope."""
    if not (principal.has(*OVERSIGHT, Role.township_staff) and area.startswith(principal.scope)):
        raise ForbiddenError("statistics are read by staff, leaders and auditors of the area")


def _namer(townships: dict[str, str], units: dict[str, str]) -> Callable[[str, str | None], str]:
    def name(what: str, code: str | None) -> str:
        if code is None:
            return "未交办" if what == "unit" else ""
        return {"township": townships, "unit": units}.get(what, {}).get(code, code)

    return name


async def _audit(
    svc: Services, caller: Caller, action: str, scope: str | None, detail: dict[str, Any]
) -> None:
    async with svc.uow() as uow:
        await svc.audit.record(
            uow.session,
            actor=caller.principal,
            action=action,
            resource_type="export",
            township=scope,
            detail=detail,
        )
        await uow.commit()


async def export_cases(svc: Services, caller: Caller, flt: views.CaseFilter) -> bytes:
    """Return the cases of a list (same filters, same visibility) as a workbook."""
    first = await views.list_cases(svc, caller, flt, 1, PAGE)
    if first.total > MAX_ROWS:
        raise invalid(
            "filters", f"{first.total} cases; narrow the list to at most {MAX_ROWS}", "too_many"
        )
    items = list(first.items)
    page = 1
    while len(items) < first.total:
        page += 1
        more = await views.list_cases(svc, caller, flt, page, PAGE)
        if not more.items:
            break
        items += more.items
    async with svc.uow() as uow:
        townships, units = await names(uow, svc.tables)
    shown = {k: str(v) for k, v in asdict(flt).items() if v is not None}
    labels = {
        "township": "镇街",
        "state": "状态",
        "kind": "类型",
        "category": "类别",
        "unit_id": "承办单位",
        "deputy_id": "代表",
        "key_chase": "重点督办",
        "overdue": "逾期",
        "number": "编号",
    }
    lines = [(labels.get(k, k), v) for k, v in shown.items()] or [("条件", "全部可见案件")]
    data = cases_workbook(items, _namer(townships, units), Filters(lines))
    await _audit(svc, caller, "export_cases", flt.township, {"filters": shown, "rows": len(items)})
    return data


async def period_facts(
    svc: Services, caller: Caller, period: Period
) -> tuple[str, list[CaseFacts]]:
    """Return the area a statistics reader asked for (else their scope) and its cases' facts."""
    p = caller.principal
    area = period.scope or p.scope
    require_statistics_reader(p, area)
    if period.start and period.end and period.end < period.start:
        raise invalid("period_end", "the period ends after it starts", "order")
    async with svc.uow() as uow:
        facts = await case_facts(
            uow,
            svc.tables,
            scope=area,
            start=period.start,
            end=period.end,
            kind=period.kind,
            category_of=svc.categories.group,
        )
    return area, facts


def _detail(area: str, period: Period, rows: int) -> dict[str, Any]:
    return {
        "scope": area,
        "period_start": period.start.isoformat() if period.start else None,
        "period_end": period.end.isoformat() if period.end else None,
        "kind": period.kind.value if period.kind else None,
        "rows": rows,
    }


async def export_statistics(svc: Services, caller: Caller, period: Period) -> bytes:
    """Return statistics by township, unit, category and state as a workbook."""
    area, facts = await period_facts(svc, caller, period)
    today = svc.today()
    async with svc.uow() as uow:
        townships, units = await names(uow, svc.tables)
    groups = {by: tally(facts, by=by, today=today) for by in ("township", "unit", "category")}
    lines = period_lines(area, period.start, period.end, period.kind.value if period.kind else None)
    data = statistics_workbook(
        overall(facts, today), groups, _namer(townships, units), Filters(lines)
    )
    await _audit(svc, caller, "export_statistics", area, _detail(area, period, len(facts)))
    return data


async def export_deputies(svc: Services, caller: Caller, period: Period) -> bytes:
    """Return statistics per deputy (cases led and joined) as a workbook."""
    area, facts = await period_facts(svc, caller, period)
    today = svc.today()
    by_id = {f.case_id: f for f in facts}
    t = svc.tables
    async with svc.uow() as uow:
        townships, units = await names(uow, svc.tables)
        links = (
            await uow.session.execute(
                select(
                    t.case_deputies.c.deputy_id,
                    t.case_deputies.c.case_id,
                    t.case_deputies.c.position,
                )
                .join(t.cases, t.cases.c.case_id == t.case_deputies.c.case_id)
                .where(within(t.cases.c.township, area))
            )
        ).all()
        people = {
            r.deputy_id: (r.name, r.township)
            for r in (
                await uow.session.execute(
                    select(t.deputies.c.deputy_id, t.deputies.c.name, t.deputies.c.township)
                )
            ).all()
        }
    cases: dict[str, list[CaseFacts]] = defaultdict(list)
    led: dict[str, int] = defaultdict(int)
    for link in links:
        fact = by_id.get(link.case_id)
        if fact is None:
            continue
        cases[link.deputy_id].append(fact)
        led[link.deputy_id] += link.position == 0
    lines = [
        DeputyLine(
            deputy_id=deputy,
            name=people.get(deputy, (deputy, ""))[0],
            township=people.get(deputy, ("", items[0].township))[1],
            led=led[deputy],
            tally=overall(items, today),
        )
        for deputy, items in sorted(
            cases.items(), key=lambda kv: (people.get(kv[0], ("", ""))[1], kv[0])
        )
    ]
    header = period_lines(
        area, period.start, period.end, period.kind.value if period.kind else None
    )
    data = deputies_workbook(lines, _namer(townships, units), Filters(header))
    await _audit(svc, caller, "export_deputy_statistics", area, _detail(area, period, len(lines)))
    return data
