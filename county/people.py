"""The county's people and places, loaded through the APIs: townships, stations, the roster.

The roster is imported as each township's staff would do it (a CSV of the usual 名册 columns to
``POST /roster/import``), then read back for the ids the deputies service gave. Handling units go
to cases (for assignment) and to notify's directory with the township staff and county offices;
every deputy gets a demo e-mail address in notify (a few also read their in-app inbox).
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import date

from faker import Faker

from county.api import Platform
from county.texts import TOWNSHIPS, UNITS, Township
from kit.principal import Role

COUNTY = "990101"
COUNTY_NAME = "青山县"
TERM = 18
TERM_START = date(2021, 12, 28)
DEPUTY_DOMAIN = "deputies.qingshan.cn"
OFFICE_DOMAIN = "qingshan.gov.cn"


@dataclass(frozen=True)
class Place:
    """A township of the county and the size of its roster (SCENARIO.md, scaled down)."""

    township: Township
    town: bool
    township_deputies: int
    county_deputies: int
    points: int  # contact points beside the central station

    @property
    def code(self) -> str:
        """Return the division code."""
        return self.township.code

    @property
    def name(self) -> str:
        """Return the township's name."""
        return self.township.name


PLACES = (
    Place(TOWNSHIPS[0], True, 40, 12, 3),
    Place(TOWNSHIPS[1], True, 34, 8, 3),
    Place(TOWNSHIPS[2], True, 28, 5, 2),
    Place(TOWNSHIPS[3], False, 0, 16, 2),
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


@dataclass(frozen=True)
class Member:
    """A deputy on the roster as the loader knows them."""

    deputy_id: str
    name: str
    township: str
    county: bool
    town: bool
    station_id: str | None
    since: date = TERM_START
    until: date | None = None  # the mandate ended that day

    def serves(self, day: date) -> bool:
        """Tell whether the deputy is on the roster on ``day``."""
        return self.since <= day and (self.until is None or day < self.until)


@dataclass
class Roster:
    """What one township has on the platform."""

    place: Place
    stations: list[str] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    left: list[Member] = field(default_factory=list)

    def on(self, day: date) -> list[Member]:
        """Return the deputies on the roster on ``day`` (those who left included before they did)."""
        return [m for m in self.members + self.left if m.serves(day)]


def admin(platform: Platform) -> str:
    """Return the county deputy-work committee's token (county_admin of 青山县)."""
    return platform.token(Role.county_admin, COUNTY, who="admin", name="县人大常委会代表工作委员会")


def staff(platform: Platform, code: str) -> str:
    """Return a township's staff token."""
    return platform.token(Role.township_staff, code, who=f"staff-{code}", name="镇街人大")


async def register_places(platform: Platform, fake: Faker, rng: random.Random) -> list[Roster]:
    """Register the townships and their stations; import each roster; return what exists."""
    rosters: list[Roster] = []
    token = admin(platform)
    known = {t["code"] for t in await platform.get("deputies", "/api/v1/townships", token)}
    for place in PLACES:
        if place.code not in known:
            kind = "town" if place.town else "subdistrict"
            await platform.call(
                "deputies",
                "POST",
                "/api/v1/townships",
                token,
                body={"code": place.code, "name": place.name, "kind": kind},
            )
        rosters.append(await _stations(platform, place, rng))
    for roster in rosters:
        await _import(platform, roster, fake, rng)
    return rosters


async def _stations(platform: Platform, place: Place, rng: random.Random) -> Roster:
    roster = Roster(place)
    central = "人大代表之家" if place.town else "人大代表联络站"
    names = [f"{place.name}{central}"] + [
        f"{place.name}{place.township.places[i % len(place.township.places)]}代表联系点"
        for i in range(place.points)
    ]
    for i, name in enumerate(names):
        response = await platform.call(
            "deputies",
            "POST",
            "/api/v1/stations",
            staff(platform, place.code),
            key=f"county-station-{place.code}-{i}",
            body={
                "township": place.code,
                "name": name,
                "kind": "home" if i == 0 else "point",
                "address": f"青山县{place.name}{name.removeprefix(place.name)}",
                "schedule": "每单月15日 9:00-11:30 接待选民",
                "content": "代表名单、履职承诺、接待安排",
            },
        )
        roster.stations.append(response.json()["id"])
    rng.random()
    return roster


HEADERS = (
    "姓名", "性别", "代表层级", "届次", "出生年月", "民族", "政治面貌", "工作单位及职务", "界别",
    "选区", "代表小组", "联络站", "当选日期", "手机号码", "家庭住址",
)  # fmt: skip


def roster_csv(place: Place, station_names: list[str], fake: Faker, rng: random.Random) -> bytes:
    """Return the township's roster as the CSV its staff keep (Faker zh_CN, seeded)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    people = [("镇级", i) for i in range(place.township_deputies)]
    for i in range(place.county_deputies):
        both = place.town and i % 3 == 0  # about one in three also sits in the township congress
        people.append(("县级、镇级" if both else "县级", 100 + i))
    for levels, index in people:
        male = rng.random() < 0.68
        village = rng.choice(place.township.places)
        writer.writerow(
            (
                fake.name_male() if male else fake.name_female(),
                "男" if male else "女",
                levels,
                f"第{'十八'}届",
                f"{rng.randint(1962, 1995)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                rng.choice(("汉族",) * 9 + ("畲族",)),
                rng.choice(PARTIES),
                f"{fake.company()}{rng.choice(('职工', '经理', '负责人', '技术员'))}",
                rng.choice(SECTORS),
                f"第{index % 50 // 2 + 1}选区",
                f"{place.name}第{index % 50 // 8 + 1}代表小组",
                rng.choice(station_names),
                TERM_START.isoformat(),
                f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}",
                f"青山县{place.name}{village}{rng.randint(1, 12)}组{rng.randint(1, 60)}号",
            )
        )
    return out.getvalue().encode("utf-8")


async def _import(platform: Platform, roster: Roster, fake: Faker, rng: random.Random) -> None:
    place = roster.place
    token = staff(platform, place.code)
    stations = await platform.pages("deputies", "/api/v1/stations", token, {"township": place.code})
    names = [s["name"] for s in stations if s["id"] in roster.stations]
    content = roster_csv(place, names, fake, rng)
    existing = await platform.get(
        "deputies", "/api/v1/deputies", token, {"township": place.code, "page_size": 1}
    )
    if existing["total"] == 0:
        await platform.call(
            "deputies",
            "POST",
            "/api/v1/roster/import",
            token,
            content=content,
            content_type="text/csv",
            params={"township": place.code, "filename": f"{place.name}代表名册.csv"},
        )
    roster.members = [
        Member(
            d["id"],
            d["name"],
            d["township"],
            "county" in d["levels"],
            "township" in d["levels"],
            d.get("station_id"),
        )
        for d in await platform.pages(
            "deputies", "/api/v1/deputies", token, {"township": place.code}
        )
        if d["elected_by"] == "general"  # the imported roster; by-elections come later
    ]
    roster.members.sort(key=lambda m: (m.name, m.deputy_id))


async def register_units(platform: Platform) -> None:
    """Register the handling units in cases and, with the offices, in notify's directory."""
    token = admin(platform)
    known = {u["unit_id"] for u in await platform.pages("cases", "/api/v1/units", token)}
    for unit_id, name in UNITS:
        if unit_id not in known:
            await platform.call(
                "cases",
                "POST",
                "/api/v1/units",
                token,
                body={"unit_id": unit_id, "name": name, "scope": COUNTY},
            )
        await _put_entry(
            platform,
            f"/api/v1/directory/units/{unit_id}",
            {"name": name, "county": COUNTY, "contacts": {"email": f"{unit_id}@{OFFICE_DOMAIN}"}},
        )
    for place in PLACES:
        office = "主席团" if place.town else "工委"
        await _put_entry(
            platform,
            f"/api/v1/directory/staff/staff-{place.code}",
            {
                "name": f"{place.name}人大{office}",
                "township": place.code,
                "offices": ["township_staff", "township_chair"],
                "contacts": {"email": f"staff-{place.code}@{OFFICE_DOMAIN}"},
            },
        )
    for staff_id, name, offices in (
        ("county-admin", "县人大常委会代表工作委员会", ["county_committee", "county_staff"]),
        ("county-leader", "县人大常委会副主任", ["vice_chair"]),
    ):
        await _put_entry(
            platform,
            f"/api/v1/directory/staff/{staff_id}",
            {
                "name": name,
                "township": COUNTY,
                "offices": offices,
                "contacts": {"email": f"{staff_id}@{OFFICE_DOMAIN}"},
            },
        )


async def _put_entry(platform: Platform, path: str, body: dict[str, object]) -> None:
    token = admin(platform)
    found = await platform.call("notify", "GET", path, token, ok=(200, 404))
    if found.status_code == 200:
        return  # entered by an earlier run
    await platform.call("notify", "PUT", path, token, body=body, version=0)


async def give_addresses(platform: Platform, rosters: list[Roster], rng: random.Random) -> int:
    """Give every deputy a demo e-mail address in notify; a few read the in-app inbox too."""
    token = admin(platform)
    given = 0
    for roster in rosters:
        for member in roster.members:
            await platform.call(
                "notify",
                "PUT",
                f"/api/v1/recipients/deputy/{member.deputy_id}/contacts",
                token,
                body={"email": f"{member.deputy_id[:8]}@{DEPUTY_DOMAIN}"},
            )
            given += 1
            if rng.random() < 0.2:
                await _in_app(platform, member)
    return given


async def _in_app(platform: Platform, member: Member) -> None:
    token = platform.token(Role.deputy, member.township, who=member.deputy_id, name=member.name)
    current = await platform.call("notify", "GET", "/api/v1/preferences", token)
    version = int(current.headers.get("etag", '"0"').strip('W/"') or 0)
    if "in_app" in current.json().get("channels", []):
        return
    await platform.call(
        "notify",
        "PUT",
        "/api/v1/preferences",
        token,
        body={"channels": ["email", "in_app"]},
        version=version,
    )
