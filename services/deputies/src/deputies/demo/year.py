"""A year of work in the demo county: activities, roster changes, highlights, manuscripts."""

from __future__ import annotations

import random
from datetime import date, timedelta

from faker import Faker

from deputies.demo.county import THEMES, YEAR, Roster, draft_for
from deputies.domain.model import (
    ActivityType,
    Attendance,
    Deputy,
    DeputyStatus,
    ElectedBy,
    Level,
    OutletLevel,
    Placement,
    StatusReason,
    TownshipKind,
)
from deputies.handlers import activities as act, deputies as dep, records as rec
from deputies.handlers.context import Caller, Services


def marks_for(
    rng: random.Random, deputies: list[Deputy], present: float = 0.85
) -> dict[str, Attendance]:
    marks: dict[str, Attendance] = {}
    for d in deputies:
        roll = rng.random()
        marks[d.id] = (
            Attendance.present
            if roll < present
            else Attendance.excused
            if roll < present + (1 - present) * 0.8
            else Attendance.unexcused_absence
        )
    return marks


async def log_one(
    svc: Services,
    caller: Caller,
    roster: Roster,
    kind: ActivityType,
    title: str,
    day: date,
    hours: float,
    attendance: dict[str, Attendance],
    levels: frozenset[Level] = frozenset({Level.township}),
    station: str | None = None,
) -> None:
    await act.log_activity(
        svc,
        caller,
        act.ActivityDetails(
            township=roster.place.code,
            type=kind,
            title=title,
            levels=levels,
            held_on=day,
            duration_hours=hours,
            station_id=station,
            attendance=attendance,
        ),
    )


async def log_year(
    svc: Services, caller: Caller, rosters: list[Roster], rng: random.Random, today: date
) -> int:
    logged = 0
    for roster in rosters:
        name = roster.place.name
        town_level = [d for d in roster.deputies if Level.township in d.levels]
        local = town_level or roster.deputies
        plan: list[
            tuple[ActivityType, str, date, float, list[Deputy], frozenset[Level], str | None]
        ] = []
        if roster.place.kind is TownshipKind.town:
            plan.append(
                (
                    ActivityType.congress_session,
                    f"{name}第十八届人民代表大会第五次会议",
                    date(YEAR, 1, 8),
                    16,
                    town_level,
                    frozenset({Level.township}),
                    None,
                )
            )
            plan.append(
                (
                    ActivityType.congress_session,
                    f"{name}第十八届人民代表大会第六次会议",
                    date(YEAR, 11, 20),
                    8,
                    town_level,
                    frozenset({Level.township}),
                    None,
                )
            )
        for month in (1, 3, 5, 7, 9, 11):
            for number, host in enumerate(roster.stations, start=1):
                plan.append(
                    (
                        ActivityType.reception_day,
                        f"{name}{month}月代表接待选民日（{number}号点）",
                        date(YEAR, month, 15),
                        3,
                        rng.sample(local, min(len(local), rng.randint(3, 6))),
                        frozenset({Level.township}),
                        host,
                    )
                )
        for quarter in (3, 6, 9):
            plan.append(
                (
                    ActivityType.deputy_group,
                    f"{name}第{quarter // 3}季度代表小组活动",
                    date(YEAR, quarter, 20),
                    3,
                    rng.sample(local, min(len(local), 10)),
                    frozenset({Level.township}),
                    None,
                )
            )
        for theme in rng.sample(THEMES, 2):
            plan.append(
                (
                    rng.choice((ActivityType.inspection, ActivityType.research)),
                    f"{name}{theme}专题视察调研",
                    date(YEAR, rng.randint(4, 6), rng.randint(1, 28)),
                    4,
                    rng.sample(local, min(len(local), 12)),
                    frozenset({Level.township}),
                    None,
                )
            )
        plan.append(
            (
                ActivityType.training,
                f"{name}代表履职能力培训（县镇联动）",
                date(YEAR, 3, 12),
                8,
                roster.deputies,
                frozenset(Level),
                None,
            )
        )
        plan.append(
            (
                ActivityType.law_inspection,
                f"{name}《水污染防治法》县镇联动执法检查",
                date(YEAR, 6, 18),
                4,
                rng.sample(roster.deputies, min(len(roster.deputies), 15)),
                frozenset(Level),
                None,
            )
        )
        for kind, title, day, hours, people, levels, station in plan:
            if day > today:
                continue
            present = [p for p in people if (p.elected_on or day) <= day]
            marks = marks_for(rng, present)
            if kind is ActivityType.congress_session:
                marks = {
                    d: (Attendance.excused if m is Attendance.unexcused_absence else m)
                    for d, m in marks.items()
                }
                if roster is rosters[0] and present:
                    # One deputy misses both sessions without leave: the absence rule flags it.
                    marks[present[0].id] = Attendance.unexcused_absence
            await log_one(svc, caller, roster, kind, title, day, hours, marks, levels, station)
            logged += 1
    return logged


async def change_rosters(
    svc: Services, caller: Caller, rosters: list[Roster], rng: random.Random, fake: Faker
) -> None:
    reasons = (
        StatusReason.moved_out,
        StatusReason.transfer,
        StatusReason.resignation,
        StatusReason.death,
    )
    for roster in rosters:
        if roster.place.kind is not TownshipKind.town:
            continue
        leaving = rng.sample(roster.deputies[:-1], rng.randint(2, 4))
        for deputy in leaving:
            reason = rng.choice(reasons)
            day = date(YEAR, rng.randint(1, 3), rng.randint(1, 28))
            version = deputy.version
            for level in sorted(deputy.levels):  # each mandate ends on its own
                ended = await dep.change_deputy_status(
                    svc,
                    caller,
                    dep.ChangeStatus(
                        deputy.id,
                        DeputyStatus.terminated,
                        reason,
                        day,
                        expected_version=version,
                        level=level,
                    ),
                )
                version = ended.version
        gone = {d.id for d in leaving}
        roster.deputies = [d for d in roster.deputies if d.id not in gone]
        draft = draft_for(fake, rng, roster.place, {Level.township}, 99)
        draft.elected_by = ElectedBy.by_election
        draft.elected_on = date(YEAR, 4, 10)
        draft.station_id = roster.stations[0]
        result = await dep.register_deputies(svc, caller, [draft], source="demo")
        roster.deputies.extend(result.created)


async def report_records(
    svc: Services, caller: Caller, rosters: list[Roster], rng: random.Random, today: date
) -> None:
    for roster in rosters:
        name = roster.place.name
        await rec.report_highlight(
            svc,
            caller,
            rec.ReportHighlight(
                roster.place.code,
                YEAR,
                f"{name}“代表进网格”一镇街一特色",
                f"{name}推动代表联系网格全覆盖，全年收集意见建议并跟踪办理。",
            ),
        )
        for n in range(rng.randint(8, 14)):
            submitted = date(YEAR, rng.randint(1, min(10, today.month)), rng.randint(1, 28))
            ms = await rec.submit_manuscript(
                svc,
                caller,
                rec.SubmitManuscript(
                    roster.place.code,
                    f"{name}人大工作动态（{n + 1}）",
                    "通讯员",
                    submitted,
                    "青山日报",
                ),
            )
            if n < rng.randint(3, 7):
                level = rng.choice(
                    (
                        OutletLevel.county,
                        OutletLevel.county,
                        OutletLevel.city,
                        OutletLevel.npc_system,
                        OutletLevel.provincial,
                    )
                )
                await rec.publish_manuscript(
                    svc,
                    caller,
                    rec.PublishManuscript(
                        ms.id,
                        {
                            OutletLevel.county: "青山日报",
                            OutletLevel.city: "市日报",
                            OutletLevel.npc_system: "人民代表报",
                            OutletLevel.provincial: "省日报",
                        }.get(level, "青山日报"),
                        level,
                        rng.choice(tuple(Placement)),
                        submitted + timedelta(days=rng.randint(3, 20)),
                        f"https://news.example.cn/{roster.place.code}/{n}",
                    ),
                )
