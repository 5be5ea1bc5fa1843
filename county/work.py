"""A year of deputies' work through the deputies API: roster changes, activities, records.

Every deputy has a diligence drawn once (most are steady, some very active, a few hardly seen);
it decides how often they are on duty at reception days, join inspections and turn up, which is
what spreads the grades scoring gives from these events. Dates are the scenario's (SCENARIO.md):
sessions in January and November, reception days on the 15th of odd months, training in March,
inspections April–June, the joint law-enforcement inspection in June; nothing after ``today``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from county.api import Platform
from county.people import COUNTY, Member, Roster, admin, staff
from county.texts import TOPICS, Topic

TOPICS_HEARD = (3, 3, 1, 1)
"""Supervision topics each township takes up in the year (东湖镇 the most active)."""
PUBLISHED = ((6, 10), (4, 7), (2, 5), (1, 3))
"""How many manuscripts each township gets published (at least, at most)."""
REASONS = ("moved_out", "transfer", "resignation", "death")
OUTLETS = {
    "county": "青山日报",
    "city": "市日报",
    "npc_system": "人民代表报",
    "provincial": "省日报",
}


@dataclass(frozen=True)
class Planned:
    """An activity to log: who hosts it, its kind and day, who is marked how."""

    key: str
    township: str | None
    host: str | None
    type: str
    title: str
    levels: tuple[str, ...]
    held_on: date
    hours: float
    attendance: dict[str, str]
    station_id: str | None = None
    participants: tuple[str, ...] = ()


def diligence(rosters: list[Roster], rng: random.Random) -> dict[str, float]:
    """Return each deputy's diligence: the chance they turn up and take part (0.25–1)."""
    drawn: dict[str, float] = {}
    for roster in rosters:
        for member in roster.members + roster.left:
            roll = rng.random()
            drawn[member.deputy_id] = (
                rng.uniform(0.25, 0.55)
                if roll < 0.12
                else rng.uniform(0.9, 1.0)
                if roll > 0.75
                else rng.uniform(0.65, 0.9)
            )
    return drawn


def mark(rng: random.Random, diligent: float) -> str:
    """Return one deputy's attendance mark for an activity they were expected at."""
    roll = rng.random()
    if roll < diligent:
        return "present"
    return "excused" if roll < diligent + (1 - diligent) * 0.75 else "unexcused_absence"


async def change_rosters(
    platform: Platform, rosters: list[Roster], rng: random.Random, today: date
) -> list[Member]:
    """End 2–3 mandates in each town (Feb–Mar) and hold a by-election in April; return who left."""
    left: list[Member] = []
    for roster in rosters:
        if not roster.place.town:
            continue
        leaving = rng.sample(roster.members[:-1], rng.randint(2, 3))
        token = staff(platform, roster.place.code)
        ended: list[Member] = []
        for member in leaving:
            day = date(today.year, rng.randint(2, 3), rng.randint(1, 28))
            reason = rng.choice(REASONS)
            body = await platform.get("deputies", f"/api/v1/deputies/{member.deputy_id}", token)
            for mandate in body["mandates"]:
                if mandate["status"] != "active":
                    continue
                current = await platform.call(
                    "deputies", "GET", f"/api/v1/deputies/{member.deputy_id}", token
                )
                await platform.call(
                    "deputies",
                    "POST",
                    f"/api/v1/deputies/{member.deputy_id}/status",
                    admin(platform),
                    version=int(current.headers["etag"].strip('W/"')),
                    body={
                        "status": "terminated",
                        "reason": reason,
                        "effective_date": day.isoformat(),
                        "level": mandate["level"],
                        "note": "县人大常委会代表资格审查委员会报告",
                    },
                )
            ended.append(replace(member, until=day))
        gone = {m.deputy_id for m in leaving}
        roster.left = ended
        roster.members = [m for m in roster.members if m.deputy_id not in gone]
        left.extend(roster.left)
        name = f"{roster.place.name}补选代表"
        response = await platform.call(
            "deputies",
            "POST",
            "/api/v1/deputies",
            token,
            key=f"county-by-election-{roster.place.code}",
            body={
                "township": roster.place.code,
                "name": name[:2] + rng.choice("建国志强秀英海燕"),
                "gender": "male",
                "levels": ["township"],
                "term": 18,
                "elected_on": date(today.year, 4, 10).isoformat(),
                "elected_by": "by_election",
                "station_id": roster.stations[0],
            },
        )
        made = response.json()
        roster.members.append(
            Member(
                made["id"],
                made["name"],
                roster.place.code,
                False,
                True,
                roster.stations[0],
                since=date.fromisoformat(made["elected_on"]),
            )
        )
    return left


def plan(
    rosters: list[Roster],
    will: dict[str, float],
    rng: random.Random,
    today: date,
    left: list[Member],
) -> list[Planned]:
    """Return the year's activities in date order, up to ``today``."""
    year = today.year
    out: list[Planned] = []
    county_members = [m for r in rosters for m in r.on(date(year, 1, 20)) if m.county]
    out.append(
        Planned(
            "county-session",
            None,
            COUNTY,
            "congress_session",
            "青山县第十八届人民代表大会第五次会议",
            ("county",),
            date(year, 1, 20),
            16,
            {m.deputy_id: _session_mark(rng, will[m.deputy_id]) for m in county_members},
            participants=tuple(r.place.code for r in rosters),
        )
    )
    inspected: set[str] = set()
    for roster in rosters:
        code, name = roster.place.code, roster.place.name
        by_election = [m for m in roster.members if m.deputy_id not in will]
        for m in by_election:
            will[m.deputy_id] = 0.9
        if roster.place.town:
            for n, (day, hours) in enumerate(((date(year, 1, 8), 16), (date(year, 11, 20), 8))):
                people = [m for m in roster.on(day) if m.town]
                out.append(
                    Planned(
                        f"session-{code}-{n}",
                        code,
                        None,
                        "congress_session",
                        f"{name}第十八届人民代表大会第{'五六'[n]}次会议",
                        ("township",),
                        day,
                        hours,
                        {m.deputy_id: _session_mark(rng, will[m.deputy_id]) for m in people},
                    )
                )
        for month in (1, 3, 5, 7, 9, 11):
            day = date(year, month, 15)
            pool = roster.on(day)
            for number, station in enumerate(roster.stations, start=1):
                duty = _weighted(rng, pool, will, rng.randint(3, 6))
                out.append(
                    Planned(
                        f"reception-{code}-{month}-{number}",
                        code,
                        None if roster.place.town else COUNTY,
                        "reception_day",
                        f"{name}{month}月代表接待选民日（{number}号站点）",
                        ("township",) if roster.place.town else ("county",),
                        day,
                        3,
                        {m.deputy_id: mark(rng, min(1.0, will[m.deputy_id] + 0.1)) for m in duty},
                        station_id=station,
                    )
                )
        for quarter in (1, 2, 3):
            group = _weighted(rng, roster.on(date(year, quarter * 3, 20)), will, 12)
            out.append(
                Planned(
                    f"group-{code}-{quarter}",
                    code,
                    None if roster.place.town else COUNTY,
                    "deputy_group",
                    f"{name}第{quarter}季度代表小组活动",
                    ("township",) if roster.place.town else ("county",),
                    date(year, quarter * 3, 20),
                    3,
                    {m.deputy_id: mark(rng, will[m.deputy_id]) for m in group},
                )
            )
        for n, topic in enumerate(rng.sample(TOPICS, 3)):
            kind = ("inspection", "research")[n % 2]
            held = date(year, 4 + n, rng.randint(5, 25))
            # staff rotate who inspects: those not yet out this year first, the keen ones sooner
            fresh = [m for m in roster.on(held) if m.deputy_id not in inspected]
            size = len(roster.on(held)) // 3 + 5
            team = _weighted(rng, fresh, will, size)
            team += _weighted(
                rng, [m for m in roster.on(held) if m not in team], will, size - len(team)
            )
            marks = {m.deputy_id: mark(rng, min(1.0, will[m.deputy_id] + 0.1)) for m in team}
            inspected.update(d for d, m in marks.items() if m == "present")
            out.append(
                Planned(
                    f"inspection-{code}-{n}",
                    code,
                    None if roster.place.town else COUNTY,
                    kind,
                    f"{name}{topic.short}专题{'视察' if kind == 'inspection' else '调研'}",
                    ("township",) if roster.place.town else ("county",),
                    held,
                    4,
                    marks,
                )
            )
    codes = tuple(r.place.code for r in rosters)
    everyone = [m for r in rosters for m in r.on(date(year, 3, 12))]
    out.append(
        Planned(
            "training",
            None,
            COUNTY,
            "training",
            "青山县镇街人大代表履职能力培训（县镇联动）",
            ("county", "township"),
            date(year, 3, 12),
            8,
            {m.deputy_id: mark(rng, min(1.0, will[m.deputy_id] + 0.05)) for m in everyone},
            participants=codes,
        )
    )
    # the county's deputies take part in its law-enforcement inspection, with township deputies
    law_day = date(year, 6, 18)
    law = [m for r in rosters for m in r.on(law_day) if m.county and not m.town]
    law += [
        m for r in rosters for m in _weighted(rng, [m for m in r.on(law_day) if m.town], will, 8)
    ]
    out.append(
        Planned(
            "law-inspection",
            None,
            COUNTY,
            "law_inspection",
            "《水污染防治法》贯彻实施情况县镇联动执法检查",
            ("county", "township"),
            date(year, 6, 18),
            4,
            {m.deputy_id: mark(rng, will[m.deputy_id]) for m in law},
            participants=codes,
        )
    )
    del left
    return sorted((p for p in out if p.held_on <= today), key=lambda p: (p.held_on, p.key))


def _session_mark(rng: random.Random, diligent: float) -> str:
    """Sessions: nearly everyone attends; a rare unexcused absence comes from the least diligent."""
    if diligent < 0.4 and rng.random() < 0.35:
        return "unexcused_absence"
    return "present" if rng.random() < 0.9 + diligent / 10 else "excused"


def _weighted(
    rng: random.Random, pool: list[Member], will: dict[str, float], k: int
) -> list[Member]:
    """Pick ``k`` deputies, the diligent ones more often."""
    chosen: list[Member] = []
    left = list(pool)
    while left and len(chosen) < k:
        weights = [will.get(m.deputy_id, 0.8) ** 2 for m in left]
        pick = rng.choices(left, weights)[0]
        chosen.append(pick)
        left.remove(pick)
    return chosen


async def log_activities(
    platform: Platform, planned: list[Planned], tell: Callable[[str], None]
) -> list[str]:
    """Log every planned activity with its attendance; return their ids."""
    ids: list[str] = []
    for activity in planned:
        token = (
            admin(platform)
            if activity.host == COUNTY
            else staff(platform, activity.township or COUNTY)
        )
        body: dict[str, object] = {
            "type": activity.type,
            "title": activity.title,
            "levels": list(activity.levels),
            "held_on": activity.held_on.isoformat(),
            "duration_hours": activity.hours,
            "attendance": [{"deputy_id": d, "mark": m} for d, m in activity.attendance.items()],
        }
        if activity.township is not None:
            body["township"] = activity.township
        if activity.host is not None:
            body["host"] = activity.host
        if activity.station_id is not None:
            body["station_id"] = activity.station_id
        if activity.participants:
            body["participants"] = list(activity.participants)
        tell(f"{activity.held_on} {activity.title}")
        response = await platform.call(
            "deputies",
            "POST",
            "/api/v1/activities",
            token,
            key=f"county-activity-{activity.key}",
            body=body,
            day=activity.held_on,
        )
        ids.append(response.json()["id"])
    return ids


async def report_records(
    platform: Platform, rosters: list[Roster], rng: random.Random, today: date
) -> int:
    """Report each township's highlight work and its manuscripts (some published); return how many."""
    count = 0
    for roster in rosters:
        code, name = roster.place.code, roster.place.name
        token = staff(platform, code)
        await platform.call(
            "deputies",
            "POST",
            "/api/v1/highlights",
            token,
            key=f"county-highlight-{code}-{today.year}",
            body={
                "township": code,
                "year": today.year,
                "title": f"{name}“代表进网格”一镇街一特色",
                "summary": f"{name}推动代表联系网格全覆盖，全年收集意见建议并跟踪办理。",
            },
        )
        published = rng.randint(*PUBLISHED[rosters.index(roster)])
        for n in range(rng.randint(6, 14)):
            submitted = date(today.year, rng.randint(1, min(10, today.month)), rng.randint(1, 28))
            response = await platform.call(
                "deputies",
                "POST",
                "/api/v1/manuscripts",
                token,
                key=f"county-manuscript-{code}-{n}",
                body={
                    "township": code,
                    "title": f"{name}人大工作动态（{n + 1}）",
                    "author": "通讯员",
                    "submitted_on": submitted.isoformat(),
                    "outlet": "青山日报",
                },
            )
            count += 1
            manuscript = response.json()
            level = rng.choice(("county", "county", "city", "npc_system", "provincial"))
            placement = rng.choice(("single", "single", "combined", "front_page_headline"))
            out = min(submitted + timedelta(days=rng.randint(3, 20)), today)
            if n >= published or manuscript.get("published_on"):
                continue  # not taken, or published by an earlier run
            await platform.call(
                "deputies",
                "POST",
                f"/api/v1/manuscripts/{manuscript['id']}/publish",
                token,
                body={
                    "outlet": OUTLETS[level],
                    "outlet_level": level,
                    "placement": placement,
                    "published_on": out.isoformat(),
                    "evidence_url": f"https://news.example.cn/{code}/{n}",
                },
            )
    return count


async def verify_rosters(platform: Platform, rosters: list[Roster]) -> None:
    """The towns confirm their rosters are current (the subdistrict has not yet: it shows)."""
    for roster in rosters:
        if roster.place.town:
            await platform.call(
                "deputies",
                "POST",
                f"/api/v1/townships/{roster.place.code}/roster-verifications",
                staff(platform, roster.place.code),
                body={"note": "年度名册核对"},
            )


async def supervise(
    platform: Platform, rosters: list[Roster], rng: random.Random, today: date
) -> int:
    """Townships hear supervision topics from July: measures, follow-ups, report, vote, close."""
    done = 0
    for roster, count in zip(rosters, TOPICS_HEARD, strict=True):
        code, name = roster.place.code, roster.place.name
        token = staff(platform, code)
        for index, topic in enumerate(rng.sample(TOPICS, count)):
            done += await _topic(platform, token, code, name, topic, index, rng, today)
    return done


async def _topic(
    platform: Platform,
    token: str,
    code: str,
    name: str,
    topic: Topic,
    index: int,
    rng: random.Random,
    today: date,
) -> int:
    """Hear one supervision topic to its close (as far as ``today`` allows); return 1 if heard."""
    year = today.year
    opened = date(year, 7, 10)
    measures = [
        {
            "description": f"{topic.short}整改措施{n + 1}：{topic.action}",
            "owner_unit_id": topic.lead,
            "due_on": date(year, 9, 30).isoformat(),
        }
        for n in range(rng.randint(3, 5))
    ]
    response = await platform.call(
        "cases",
        "POST",
        "/api/v1/topics",
        token,
        key=f"county-topic-{code}-{year}-{index}",
        day=opened,
        body={
            "township": code,
            "title": f"关于{name}{topic.short}工作情况的专项监督",
            "origin": "plan",
            "year": year,
            "problems": [topic.problem],
            "measures": measures,
        },
    )
    body = response.json()
    if body["state"] != "open":
        return 0  # played by an earlier run
    path = f"/api/v1/topics/{body['topic_id']}"
    version = int(body["version"])
    for n, measure in enumerate(body["measures"]):
        response = await platform.call(
            "cases",
            "POST",
            f"{path}/followups",
            token,
            version=version,
            day=date(year, 9, 10 + n),
            body={"measure_id": measure["measure_id"], "progress": 100, "note": "已整改到位"},
        )
        version = int(response.json()["version"])
    steps: list[tuple[str, date, dict[str, object]]] = [
        ("report", date(year, 10, 15), {"text": f"{name}关于{topic.short}整改情况的报告"}),
        (
            "votes",
            date(year, 10, 28),
            {"satisfied": 30, "basically_satisfied": 6, "unsatisfied": 2},
        ),
        ("close", date(year, 10, 30), {}),
    ]
    for action, day, payload in steps:
        if day > today:
            break
        response = await platform.call(
            "cases", "POST", f"{path}/{action}", token, version=version, day=day, body=payload
        )
        version = int(response.json().get("version", version + 1))
    return 1


COUNTY_GRADES = {"excellent": 135, "competent": 100}
"""The county's own 办法 for the year: its thresholds on the points its activities give."""


async def adopt_rules(platform: Platform, year: int) -> int | None:
    """Adopt the county's rule set for the year (the seed with its own grade lines); re-derives."""
    token = admin(platform)
    versions = await platform.get("scoring", "/api/v1/rule-sets", token, {"county": COUNTY})
    mine = [v for v in versions if v["year"] == year]
    if not mine or any(v["version"] > 1 for v in mine):
        return None  # no ledger yet, or adopted by an earlier run
    seed = await platform.get("scoring", f"/api/v1/rule-sets/{COUNTY}/{year}/1", token)
    document = str(seed["document"])
    document = document.replace("excellent: 85", f"excellent: {COUNTY_GRADES['excellent']}")
    document = document.replace("competent: 60", f"competent: {COUNTY_GRADES['competent']}")
    document = document.replace(
        "title: 代表履职积分规则（默认种子，据各地办法整理）", "title: 青山县人大代表履职积分办法"
    )
    stored = await platform.call(
        "scoring", "POST", "/api/v1/rule-sets", token, body={"county": COUNTY, "document": document}
    )
    version = int(stored.json()["version"])
    await platform.call(
        "scoring", "POST", f"/api/v1/rule-sets/{COUNTY}/{year}/{version}/activate", token
    )
    return version
