"""A year of suggestions and opinions through the cases API, each step on its own day.

Every item gets a fate when it is drawn (triage, unit, reply class, lateness, feedback). Its life
is a generator of dated steps; the player runs the earliest step of all items next, each request
pinned to 10:00 China time of its day (``X-Dev-Clock``), so clocks, due dates and merges are the
county's as it stood then. A step dated after ``today`` is not taken: the item stays open, and the
chase scheduler of the running cases service finds what is late (warnings, overdue) on its own.
The filers are roster deputies: suggestions by their own token, opinions entered by the township's
staff for the deputies who received them, replies by the handling unit, feedback by the deputy.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from county.api import LoadError, Platform
from county.people import COUNTY, Member, Roster, admin, staff
from county.texts import (
    ON_THE_SPOT,
    REFUSED_OPINIONS,
    REFUSED_SUGGESTIONS,
    TOPICS,
    UNIT_NAMES,
    Quick,
    Refused,
    Topic,
    opinion_text,
    suggestion_text,
)
from kit.principal import Role

Act = Callable[[], Awaitable[None]]
CLASSES = ("A", "B", "C", "D")
CLASS_WEIGHTS = (60, 28, 8, 4)
HANDLING = {"assigned", "rehandling"}


@dataclass(frozen=True)
class Step:
    """One dated action on an item."""

    day: date
    act: Act
    states: frozenset[str]  # the states the case must be in for the step to apply


@dataclass
class Fate:
    """What will happen to an item."""

    triage: str = "accept"  # accept, refuse, merge, on_spot
    stalled: bool = False  # the unit never replies
    key_chase: bool = False
    reply_class: str = "A"
    share: float = 0.6  # share of the clock used before replying
    late_days: int = 0
    feedback_gap: int = 10
    unsatisfied: bool = False


@dataclass
class Item:
    """A suggestion or opinion being played."""

    n: int
    kind: str
    township: str
    title: str
    content: str
    category: str
    deputies: tuple[Member, ...]
    received: date
    fate: Fate
    topic: Topic | None = None
    level: str = "township"
    timing: str = "session"
    station_id: str | None = None
    refused: Refused | None = None
    quick: Quick | None = None
    original: Item | None = None
    case_id: str = ""
    body: dict[str, Any] = field(default_factory=dict)
    version: int = 0

    @property
    def state(self) -> str:
        """Return the case's state as last read."""
        return str(self.body.get("state", ""))


@dataclass
class Year:
    """The county's year of cases, drawn with a fixed seed and played in date order."""

    platform: Platform
    rosters: list[Roster]
    will: dict[str, float]
    rng: random.Random
    today: date
    items: list[Item] = field(default_factory=list)
    skipped: int = 0
    _queue: list[tuple[date, int]] = field(default_factory=list)
    _lives: dict[int, tuple[Item, Iterator[Step], Step]] = field(default_factory=dict)
    _seq: int = 0
    _used: set[tuple[str, str, str]] = field(default_factory=set)

    # --- drawing --------------------------------------------------------------------------
    def draw(self) -> None:
        """Draw every item of the year and its fate."""
        year = self.today.year
        for roster in self.rosters:
            if roster.place.town:
                day = _workday(date(year, 1, 8))
                pool = [m for m in roster.members if m.town and m.serves(day)]
                self._suggestions(roster, pool, _workday(date(year, 1, 8)), len(pool), "township")
        for roster in self.rosters:
            pool = [m for m in roster.members if m.county and m.serves(date(year, 1, 21))]
            self._suggestions(roster, pool, _workday(date(year, 1, 21)), len(pool), "county")
        self._receptions(year)
        self._fates()

    def _fresh(self, township: str, places: tuple[str, ...]) -> tuple[Topic, str]:
        for _ in range(200):
            topic, place = self.rng.choice(TOPICS), self.rng.choice(places)
            if (township, topic.short, place) not in self._used:
                self._used.add((township, topic.short, place))
                return topic, place
        return self.rng.choice(TOPICS), self.rng.choice(places)

    def _suggestions(
        self, roster: Roster, pool: list[Member], day: date, count: int, level: str
    ) -> None:
        """File ``count`` suggestions: every diligent deputy leads one, some lead two; 15% joint."""
        if not pool:
            return
        order = sorted(pool, key=lambda m: -self.will[m.deputy_id] * self.rng.uniform(0.6, 1.4))
        leads = (order * 2)[:count]
        filed: list[Item] = []
        for lead in leads:
            fate = Fate()
            roll = self.rng.random()
            places = roster.place.township.places
            if roll < 0.04:
                fate.triage = "refuse"
                refused = self.rng.choice(REFUSED_SUGGESTIONS)
                item = self._item(
                    "suggestion", roster, (lead,), day, fate, refused.title, refused.content, "其他"
                )
                item.refused = refused
            elif roll < 0.09 and filed:
                fate.triage = "merge"
                original = self.rng.choice(filed)
                assert original.topic is not None
                title, content = suggestion_text(original.topic, original.title[2:6], 2)
                item = self._item(
                    "suggestion", roster, (lead,), day, fate, title, content, original.category
                )
                item.original = original
            else:
                topic, place = self._fresh(roster.place.code, places)
                title, content = suggestion_text(topic, place, self.rng.randint(0, 3))
                co: tuple[Member, ...] = ()
                if self.rng.random() < 0.15:
                    others = [m for m in pool if m is not lead]
                    co = tuple(self.rng.sample(others, min(len(others), self.rng.randint(1, 3))))
                self._reply_fate(fate)
                item = self._item(
                    "suggestion", roster, (lead, *co), day, fate, title, content, topic.category
                )
                item.topic = topic
                filed.append(item)
            item.level = level

    def _receptions(self, year: int) -> None:
        for month in (1, 3, 5, 7, 9, 11):
            day = _workday(date(year, month, 15))
            if day >= self.today:
                break
            for roster in self.rosters:
                on_duty = [m for m in roster.members if m.serves(day)]
                duty = self.rng.sample(on_duty, min(len(on_duty), 3))
                for _ in range(self.rng.choice((2, 3, 3, 4))):
                    self._opinion(roster, day, duty)

    def _opinion(self, roster: Roster, day: date, duty: list[Member]) -> None:
        fate = Fate()
        receivers = tuple(self.rng.sample(duty, 2 if self.rng.random() < 0.2 else 1))
        roll = self.rng.random()
        if roll < 0.08:
            fate.triage = "on_spot"
            quick = self.rng.choice(ON_THE_SPOT)
            item = self._item(
                "opinion", roster, receivers, day, fate, quick.title, quick.content, quick.category
            )
            item.quick = quick
        elif roll < 0.12:
            fate.triage = "refuse"
            refused = self.rng.choice(REFUSED_OPINIONS)
            item = self._item(
                "opinion", roster, receivers, day, fate, refused.title, refused.content, "其他"
            )
            item.refused = refused
        else:
            topic, place = self._fresh(roster.place.code, roster.place.township.places)
            title, content = opinion_text(topic, place, self.rng.randint(0, 2))
            self._reply_fate(fate)
            item = self._item(
                "opinion", roster, receivers, day, fate, title, content, topic.category
            )
            item.topic = topic
        item.station_id = roster.stations[0]

    def _reply_fate(self, fate: Fate) -> None:
        rng = self.rng
        fate.reply_class = rng.choices(CLASSES, CLASS_WEIGHTS)[0]
        fate.share = rng.uniform(0.35, 0.95)
        fate.late_days = rng.randint(3, 20) if rng.random() < 0.05 else 0
        fate.feedback_gap = rng.randint(5, 18)
        fate.unsatisfied = (
            rng.random() < {"A": 0.01, "B": 0.03, "C": 0.1, "D": 0.3}[fate.reply_class]
        )

    def _item(
        self,
        kind: str,
        roster: Roster,
        deputies: tuple[Member, ...],
        day: date,
        fate: Fate,
        title: str,
        content: str,
        category: str,
    ) -> Item:
        item = Item(
            len(self.items) + 1,
            kind,
            roster.place.code,
            title,
            content,
            category,
            deputies,
            day,
            fate,
        )
        self.items.append(item)
        return item

    def _fates(self) -> None:
        """A few accepted suggestions are stalled (overdue now), some of them key-chased."""
        plain = [i for i in self.items if i.fate.triage == "accept" and i.kind == "suggestion"]
        self.rng.shuffle(plain)
        for item in plain[:9]:
            item.fate.stalled = True
        for item in plain[:3] + plain[9:12]:
            item.fate.key_chase = True
        opinions = [i for i in self.items if i.fate.triage == "accept" and i.kind == "opinion"]
        self.rng.shuffle(opinions)
        for item in opinions[:4]:
            item.fate.stalled = True

    # --- playing --------------------------------------------------------------------------
    async def play(self, tell: Callable[[str], None]) -> None:
        """Play every item's life in date order, up to ``today``."""
        for item in self.items:
            self._advance(item, self._life(item), date.min)
        done = 0
        while self._queue:
            day, key = heapq.heappop(self._queue)
            item, life, step = self._lives.pop(key)
            if day > self.today:
                continue
            if item.case_id and item.state not in step.states:
                self.skipped += 1  # already past this step (a rerun), or the step no longer applies
            else:
                await step.act()
            done += 1
            if done % 100 == 0:
                tell(f"cases: {done} steps played (up to {day.isoformat()})")
            self._advance(item, life, day)

    def _advance(self, item: Item, life: Iterator[Step], after: date) -> None:
        step = next(life, None)
        if step is None:
            return
        self._seq += 1
        self._lives[self._seq] = (item, life, step)
        heapq.heappush(self._queue, (max(step.day, after), self._seq))

    async def _post(
        self, item: Item, action: str, token: str, body: dict[str, Any], day: date
    ) -> None:
        path = f"/api/v1/cases/{item.case_id}/{action}"
        for _ in range(2):
            response = await self.platform.call(
                "cases",
                "POST",
                path,
                token,
                body=body,
                version=item.version,
                day=day,
                ok=(200, 201, 409),
            )
            if response.status_code != 409:
                break
            await self.refresh(item)  # another case was merged into this one: read it again
        else:
            raise LoadError(f"cases POST {path}: version conflict twice")
        if action != "to-suggestion":
            item.body = response.json()
            item.version = int(response.headers["etag"].strip('W/"'))

    async def refresh(self, item: Item) -> None:
        """Read the case again (its state and version)."""
        current = await self.platform.call(
            "cases", "GET", f"/api/v1/cases/{item.case_id}", admin(self.platform)
        )
        item.body = current.json()
        item.version = int(current.headers["etag"].strip('W/"'))

    def _deputy(self, member: Member) -> str:
        return self.platform.token(
            Role.deputy, member.township, who=member.deputy_id, name=member.name
        )

    def _unit(self, unit_id: str) -> str:
        return self.platform.token(
            Role.handling_unit, COUNTY, who=unit_id, name=UNIT_NAMES[unit_id]
        )

    def _submit(self, item: Item) -> Act:
        async def act() -> None:
            day = item.received
            if item.kind == "suggestion":
                path = "/api/v1/suggestions"
                token = self._deputy(item.deputies[0])
                body: dict[str, Any] = {
                    "township": item.township,
                    "title": item.title,
                    "content": item.content,
                    "category": item.category,
                    "lead_deputy_id": item.deputies[0].deputy_id,
                    "co_deputy_ids": [m.deputy_id for m in item.deputies[1:]],
                    "level": item.level,
                    "timing": item.timing,
                }
            else:
                path = "/api/v1/opinions"
                token = staff(self.platform, item.township)
                body = {
                    "township": item.township,
                    "title": item.title,
                    "content": item.content,
                    "category": item.category,
                    "receiving_deputy_ids": [m.deputy_id for m in item.deputies],
                    "origin": "reception_day",
                    "station_id": item.station_id,
                    "constituent": {"name": "来访群众", "address": f"青山县{item.title[2:6]}"},
                }
            response = await self.platform.call(
                "cases", "POST", path, token, body=body, key=f"county-case-{item.n}", day=day
            )
            item.case_id = response.json()["case_id"]
            await self.refresh(item)

        return act

    def _life(self, item: Item) -> Iterator[Step]:
        f = item.fate
        triager = (
            admin(self.platform) if item.level == "county" else staff(self.platform, item.township)
        )
        yield Step(item.received, self._submit(item), frozenset({""}))
        triage_day = _workday(item.received + timedelta(days=2 if item.kind == "suggestion" else 1))
        if f.triage == "on_spot":
            assert item.quick is not None
            answer = item.quick.answer
            yield Step(
                item.received,
                self._act(item, "answer", triager, {"answer": answer}, item.received),
                frozenset({"received"}),
            )
            return
        if f.triage == "refuse":
            assert item.refused is not None
            body = {"reason": item.refused.reason.value, "comment": item.refused.comment}
            yield Step(
                triage_day,
                self._act(item, "not-accept", triager, body, triage_day),
                frozenset({"received"}),
            )
            return
        if f.triage == "merge" and item.original is not None:
            original = item.original

            async def merge() -> None:
                if original.state in {"received", "accepted", "assigned"} and original.case_id:
                    body = {"merged_into": original.case_id, "comment": "与同类问题并案办理"}
                    await self._post(item, "merge", triager, body, triage_day)
                else:
                    await self._post(item, "accept", triager, {"comment": "单独办理"}, triage_day)

            yield Step(triage_day, merge, frozenset({"received"}))
            if item.state != "accepted":
                return
        else:
            yield Step(
                triage_day,
                self._act(item, "accept", triager, {"comment": "同意受理"}, triage_day),
                frozenset({"received"}),
            )
        topic = item.topic or (item.original.topic if item.original else None)
        assert topic is not None
        assign_day = _workday(triage_day + timedelta(days=self.rng.randint(2, 5)))
        comment = "交办会集中交办" if item.kind == "suggestion" else "转交承办单位办理"
        assignment: dict[str, Any] = {
            "lead_unit_id": topic.lead,
            "co_unit_ids": list(topic.co),
            "comment": comment,
        }
        yield Step(
            assign_day,
            self._act(item, "assign", triager, assignment, assign_day),
            frozenset({"accepted"}),
        )
        if f.key_chase:
            chase_day = _workday(assign_day + timedelta(days=8 if not f.stalled else 40))
            leader = self.platform.token(
                Role.county_leader, COUNTY, who="leader", name="县人大常委会副主任"
            )
            body = {"comment": "经主任会议研究，列为重点督办，由分管副主任牵头督办。"}
            yield Step(
                chase_day,
                self._act(item, "key-chase", leader, body, chase_day),
                frozenset(HANDLING),
            )
        if f.stalled:
            return
        yield from self._reply_and_feedback(item, topic, f.reply_class, f.share, f.late_days)
        if item.state == "rehandling":
            yield from self._reply_and_feedback(item, topic, "A", self.rng.uniform(0.3, 0.8), 0)

    def _reply_and_feedback(
        self, item: Item, topic: Topic, reply_class: str, share: float, late: int
    ) -> Iterator[Step]:
        body = item.body
        start = date.fromisoformat(str(body.get("assigned_on") or item.received))
        due = date.fromisoformat(str(body.get("due_on") or start + timedelta(days=90)))
        if item.state == "rehandling":
            start = max(start, item.received)
        day = (
            _workday(due + timedelta(days=late))
            if late
            else _workday(start + timedelta(days=max(2, round((due - start).days * share))))
        )
        unit = UNIT_NAMES[topic.lead]
        promised: date | None = None
        if reply_class == "A":
            text = (
                f"已办理完毕：{unit}高度重视，经现场调研，已{topic.action}。下一步将加强日常管护。"
            )
        elif reply_class == "B":
            promised = day + timedelta(days=self.rng.randint(45, 150))
            text = f"正在办理：{unit}已将{topic.short}事项列入年度工作计划，预计{promised.year}年{promised.month}月底前完成。"
        elif reply_class == "C":
            promised = day + timedelta(days=self.rng.randint(240, 420))
            text = f"列入计划：受资金条件限制，{topic.short}事项已列入{unit}中长期规划，预计{promised.year}年{promised.month}月前启动。"
        else:
            text = f"留作参考：经研究，{topic.short}事项目前暂不具备实施条件，相关意见已留作今后工作参考，并已当面说明。"
        co = [
            {
                "unit_id": u["unit_id"],
                "text": f"{UNIT_NAMES.get(u['unit_id'], '')}会办意见：同意主办单位意见。",
            }
            for u in body.get("units", [])
            if u.get("role") == "co"
        ]
        reply: dict[str, Any] = {
            "reply_class": reply_class,
            "text": text,
            "unit_id": topic.lead,
            "co_opinions": co,
        }
        if promised is not None:
            reply["follow_up_due_on"] = promised.isoformat()
        yield Step(
            day, self._act(item, "reply", self._unit(topic.lead), reply, day), frozenset(HANDLING)
        )
        feedback_day = _workday(day + timedelta(days=item.fate.feedback_gap))
        unhappy = item.fate.unsatisfied and int(item.body.get("round") or 1) <= 1
        result = (
            "unsatisfied"
            if unhappy
            else "satisfied"
            if reply_class == "A"
            else "basically_satisfied"
        )
        feedback = {
            "process": "satisfied" if result != "unsatisfied" else "basically_satisfied",
            "result": result,
            "comment": "答复内容笼统，没有明确的解决时限。" if result == "unsatisfied" else "",
        }
        yield Step(
            feedback_day,
            self._act(item, "feedback", self._deputy(item.deputies[0]), feedback, feedback_day),
            frozenset({"replied"}),
        )

    def _act(self, item: Item, action: str, token: str, body: dict[str, Any], day: date) -> Act:
        async def act() -> None:
            await self._post(item, action, token, body, day)

        return act


def _workday(day: date) -> date:
    """Return the day, or the Monday after when it falls on a weekend."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


async def set_clocks(platform: Platform) -> None:
    """柳溪镇 gives units 20 days (not the default 30) to reply to constituents' opinions."""
    await platform.call(
        "cases",
        "PUT",
        "/api/v1/townships/990101003/opinion-clock",
        staff(platform, "990101003"),
        body={"opinion_days": 20},
    )
