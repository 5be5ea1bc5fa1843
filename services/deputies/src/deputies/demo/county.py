"""The demo county: its townships, stations and rosters (Faker zh_CN, fixed seed)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from faker import Faker

from deputies.domain.drafts import DeputyDraft
from deputies.domain.model import (
    Deputy,
    Gender,
    Level,
    StationKind,
    TownshipKind,
)
from deputies.handlers import deputies as dep, stations as sta, townships as tw
from deputies.handlers.context import Caller, Services
from deputies.testing.people import resident_id

COUNTY = "990101"
YEAR = 2026
TERM = 18
TERM_START = date(2021, 12, 28)


@dataclass(frozen=True)
class Place:
    """A township of the demo county and how many deputies it gets."""

    code: str
    name: str
    kind: TownshipKind
    township_deputies: int
    county_deputies: int
    points: int


PLACES = (
    Place("990101001", "东湖镇", TownshipKind.town, 40, 12, 4),
    Place("990101002", "石桥镇", TownshipKind.town, 35, 8, 3),
    Place("990101003", "柳溪镇", TownshipKind.town, 30, 5, 2),
    Place("990101004", "城关街道", TownshipKind.subdistrict, 0, 16, 3),
)
SECTORS = (
    "工人",
    "农民",
    "专业技术人员",
    "党政干部",
    "企业负责人",
    "教育",
    "医疗卫生",
    "个体工商户",
)
PARTIES = ("中共党员", "中共党员", "中共党员", "群众", "群众", "民盟盟员", "九三学社社员")
THEMES = (
    "农村公路养护",
    "饮水安全",
    "校车接送",
    "卫生院人员配备",
    "居家养老",
    "农田灌溉",
    "垃圾分类",
    "路灯照明",
)


@dataclass(frozen=True)
class SystemActor:
    """The loader, as the audit log records it."""

    subject: str = "demo-loader"
    roles: frozenset[str] = frozenset({"county_admin"})


@dataclass
class Roster:
    """What the loader created in one township."""

    place: Place
    stations: list[str] = field(default_factory=list)
    deputies: list[Deputy] = field(default_factory=list)


def draft_for(
    fake: Faker, rng: random.Random, place: Place, levels: set[Level], index: int
) -> DeputyDraft:
    gender = rng.choice((Gender.male, Gender.male, Gender.female))
    village = rng.choice(("东风", "红旗", "新华", "胜利", "和平", "光明", "幸福", "团结"))
    return DeputyDraft(
        township=place.code,
        name=fake.name_male() if gender is Gender.male else fake.name_female(),
        gender=gender,
        levels=frozenset(levels),
        term=TERM,
        elected_on=TERM_START,
        birth_date=date(rng.randint(1962, 1995), rng.randint(1, 12), rng.randint(1, 28)),
        ethnicity=rng.choice(("汉族",) * 9 + ("畲族",)),
        party=rng.choice(PARTIES),
        occupation=f"{fake.company()}{rng.choice(('职工', '经理', '负责人', '技术员'))}",
        sector=rng.choice(SECTORS),
        electoral_district=f"第{index // 2 + 1}选区",
        deputy_group=f"{place.name}第{index // 8 + 1}代表小组",
        phone=fake.phone_number(),
        id_number=resident_id(fake, min_age=30, max_age=62, female=gender is Gender.female),
        address=f"青山县{place.name}{village}村{rng.randint(1, 12)}组{rng.randint(1, 60)}号",
    )


async def register_place(
    svc: Services, caller: Caller, place: Place, rng: random.Random, fake: Faker
) -> Roster:
    await tw.register_township(svc, caller, tw.RegisterTownship(place.code, place.name, place.kind))
    roster = Roster(place)
    central = "人大代表之家" if place.kind is TownshipKind.town else "人大代表联络站"
    names = [f"{place.name}{central}"] + [
        f"{place.name}{rng.choice(('东', '西', '南', '北'))}{i}村代表联系点"
        for i in range(1, place.points + 1)
    ]
    for i, name in enumerate(names):
        station = await sta.create_station(
            svc,
            caller,
            sta.CreateStation(
                township=place.code,
                name=name,
                kind=StationKind.home if i == 0 else StationKind.point,
                address=f"青山县{place.name}{name[-6:]}",
                schedule="每单月15日 9:00-11:30 接待选民",
                content="代表名单、履职承诺、接待安排",
            ),
        )
        roster.stations.append(station.id)
    drafts = [
        draft_for(fake, rng, place, {Level.township}, i) for i in range(place.township_deputies)
    ]
    for i in range(place.county_deputies):
        # About one in three county deputies of a town also sits in its township congress.
        both = place.kind is TownshipKind.town and i % 3 == 0
        drafts.append(
            draft_for(
                fake,
                rng,
                place,
                {Level.county, Level.township} if both else {Level.county},
                i + 100,
            )
        )
    for draft in drafts:
        draft.station_id = rng.choice(roster.stations)
    result = await dep.register_deputies(svc, caller, drafts, source="demo")
    if result.errors:
        raise RuntimeError(f"demo roster of {place.name} is invalid: {result.errors}")
    roster.deputies = result.created
    return roster
