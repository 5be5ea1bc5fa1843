"""A year of cases in the demo county, played in date order through the handlers.

Every item gets a fate when it is drawn (triage outcome, units, reply class, feedback...). Its life
is a generator of dated steps; the player runs the earliest step of all items next, with the
services' clock set to that day at 10:00 China time, so merges, returns and chases see the county
as it stood then. A step dated after ``today`` is not taken: that item stays where it is, open.
"""

from __future__ import annotations

import functools
import heapq
import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Literal

from faker import Faker

from cases.adapters.store import Constituent
from cases.demo.county import (
    COUNTY,
    ON_THE_SPOT,
    REFUSED_OPINIONS,
    REFUSED_SUGGESTIONS,
    TOPICS,
    TOWNSHIPS,
    UNIT_NAMES,
    Cast,
    Deputy,
    Quick,
    Refused,
    Topic,
    Township,
    opinion_text,
    suggestion_text,
)
from cases.domain.model import Case
from cases.domain.records import CoOpinion
from cases.domain.states import State
from cases.handlers import handling as hd, intake
from cases.handlers.context import Caller, Services
from contracts.vocabulary import (
    CaseKind,
    Level,
    OpinionOrigin,
    ReopenReason,
    ReplyClass,
    Satisfaction,
    SuggestionTiming,
)
from kit.clock import CHINA
from kit.principal import Principal

Act = Callable[[Services], Awaitable[Case | None]]
Triage = Literal["accept", "on_spot", "refuse", "merge", "to_suggestion"]
Stop = Literal["received", "accepted", "returned", "assigned", "replied", "rehandling"]

CLASSES = (ReplyClass.A, ReplyClass.B, ReplyClass.C, ReplyClass.D)
CLASS_WEIGHTS = (60, 20, 12, 8)
UNSATISFIED = {ReplyClass.A: 0.02, ReplyClass.B: 0.04, ReplyClass.C: 0.12, ReplyClass.D: 0.35}


@dataclass(frozen=True)
class Step:
    """One dated action on an item."""

    day: date
    act: Act


@dataclass
class Fate:
    """What will happen to an item, drawn when it is drawn."""

    triage: Triage = "accept"
    stop: Stop | None = None
    triage_gap: int = 1  # working days from receipt to triage
    assign_gap: int = 2  # working days from triage to assignment
    co: tuple[str, ...] = ()
    complex_: bool = False
    misroute: bool = False
    key_chase: bool = False  # designated by the leader soon after assignment
    stalled: bool = False  # the unit never replies; chased as overdue
    extension: bool = False
    reply_class: ReplyClass = ReplyClass.A
    share: float = 0.7  # share of the clock used before replying
    late_days: int = 0  # > 0: reply that many days after the due date
    feedback_gap: int = 10
    unsatisfied: bool = False
    resolves: bool = False
    reopen: bool = False


@dataclass
class Item:
    """A suggestion or opinion being played."""

    n: int
    kind: CaseKind
    township: Township
    title: str
    content: str
    category: str
    deputies: tuple[Deputy, ...]
    received: date
    fate: Fate
    topic: Topic | None = None
    place: str = ""
    level: Level | None = None
    timing: SuggestionTiming | None = None
    origin: OpinionOrigin | None = None
    constituent: Constituent | None = None
    refused: Refused | None = None
    quick: Quick | None = None
    original: Item | None = None  # the earlier item this one nearly repeats
    case_id: str = ""
    case: Case | None = None
    last_day: date = date.min

    @property
    def version(self) -> int:
        """Return the version of the case as last read."""
        return self.case.version if self.case else 0

    @property
    def state(self) -> State | None:
        """Return the state of the case as last read."""
        return self.case.state if self.case else None


def ten_oclock(day: date) -> datetime:
    """Return 10:00 China time on ``day``."""
    return datetime.combine(day, time(10), CHINA)


def session_year(today: date) -> int:
    """Return the year whose congress sessions the demo starts from (2026 when run late in 2026)."""
    return today.year if today.month >= 6 else today.year - 1


@dataclass
class Year:
    """The demo county's year of cases, drawn with a fixed seed and played in date order."""

    svc: Services
    cast: Cast
    rng: random.Random
    fake: Faker
    today: date
    items: list[Item] = field(default_factory=list)
    _used: set[tuple[str, str, str]] = field(default_factory=set)
    _queue: list[tuple[date, int, int]] = field(default_factory=list)
    _lives: dict[int, tuple[Item, Iterator[Step], Step]] = field(default_factory=dict)
    _seq: int = 0

    # --- drawing the year -------------------------------------------------------------------
    def draw(self) -> None:
        """Draw every item of the year and its fate."""
        year = session_year(self.today)
        cal = self.svc.calendar
        for tw in TOWNSHIPS:
            if tw.session is not None:
                day = cal.on_or_after(date(year, *tw.session))
                self._suggestions(tw, day, tw.session_suggestions, Level.township, county=False)
        county_day = cal.on_or_after(date(year, 1, 20))
        for tw in TOWNSHIPS:
            self._suggestions(tw, county_day, tw.county_suggestions, Level.county, county=True)
        self._between_sessions(year, 17)
        self._receptions(year)
        self._special_fates()
        self._recent()

    def _fresh(self, tw: Township) -> tuple[Topic, str]:
        while True:
            topic = self.rng.choice(TOPICS)
            place = self.rng.choice(tw.places)
            key = (tw.code, topic.short, place)
            if key not in self._used:
                self._used.add(key)
                return topic, place

    def _joint(self, pool: list[Deputy], first: Deputy) -> tuple[Deputy, ...]:
        if self.rng.random() >= 0.15:
            return (first,)
        others = [d for d in pool if d is not first]
        return (first, *self.rng.sample(others, min(len(others), self.rng.randint(1, 3))))

    def _reply_fate(self, fate: Fate, suggestion: bool) -> None:
        rng = self.rng
        fate.reply_class = rng.choices(CLASSES, CLASS_WEIGHTS)[0]
        fate.share = rng.uniform(0.35 if suggestion else 0.4, 0.95)
        fate.late_days = rng.randint(3, 25) if rng.random() < 0.07 else 0
        fate.feedback_gap = rng.randint(5, 18)
        fate.unsatisfied = rng.random() < UNSATISFIED[fate.reply_class]
        chance = {ReplyClass.B: 0.85, ReplyClass.C: 0.35}.get(fate.reply_class, 0.0)
        fate.resolves = rng.random() < chance

    def _suggestions(
        self, tw: Township, day: date, count: int, level: Level, *, county: bool
    ) -> None:
        pool = [d for d in self.cast.deputies[tw.code] if d.county or not county]
        batch: list[Item] = []
        for _ in range(count):
            fate = Fate(triage_gap=2, assign_gap=self.rng.randint(2, 3))
            first = self.rng.choice(pool)
            roll = self.rng.random()
            if roll < 0.03:
                fate.triage = "refuse"
                refused = self.rng.choice(REFUSED_SUGGESTIONS)
                item = self._item(CaseKind.suggestion, tw, (first,), day, fate, refused=refused)
            elif roll < 0.08 and batch:
                fate.triage = "merge"
                original = self.rng.choice([b for b in batch if b.fate.triage == "accept"])
                others = [d for d in pool if d not in original.deputies] or pool
                deputy = self.rng.choice(others)
                item = self._item(
                    CaseKind.suggestion,
                    tw,
                    (deputy,),
                    day,
                    fate,
                    topic=original.topic,
                    place=original.place,
                    variant=self.rng.randint(1, 3),
                )
                item.original = original
            else:
                topic, place = self._fresh(tw)
                self._co(fate, topic)
                self._reply_fate(fate, suggestion=True)
                deputies = self._joint(pool, first)
                item = self._item(
                    CaseKind.suggestion, tw, deputies, day, fate, topic=topic, place=place
                )
            item.level, item.timing = level, SuggestionTiming.session
            batch.append(item)

    def _between_sessions(self, year: int, count: int) -> None:
        cal = self.svc.calendar
        first, last = date(year, 3, 2), self.today - timedelta(days=40)
        span = max((last - first).days, 1)
        for _ in range(count):
            tw = self.rng.choice(TOWNSHIPS)
            day = cal.on_or_after(first + timedelta(days=self.rng.randrange(span)))
            level = Level.county if tw.session is None else self.rng.choice(list(Level))
            pool = [d for d in self.cast.deputies[tw.code] if d.county or level is Level.township]
            fate = Fate(triage_gap=self.rng.randint(1, 3), assign_gap=self.rng.randint(1, 3))
            topic, place = self._fresh(tw)
            self._co(fate, topic)
            self._reply_fate(fate, suggestion=True)
            item = self._item(
                CaseKind.suggestion,
                tw,
                (self.rng.choice(pool),),
                day,
                fate,
                topic=topic,
                place=place,
            )
            item.level, item.timing = level, SuggestionTiming.between_sessions

    def _co(self, fate: Fate, topic: Topic) -> None:
        if topic.co and self.rng.random() < 0.45:
            fate.co = topic.co

    def _receptions(self, year: int) -> None:
        cal = self.svc.calendar
        days: list[date] = []
        month = date(year, 1, 15)
        while True:
            day = cal.on_or_after(month)
            if day >= self.today:
                break
            days.append(day)
            month = date(month.year + month.month // 12, month.month % 12 + 1, 15)
        for day in days[-11:]:
            for tw in TOWNSHIPS:
                on_duty = self.rng.sample(self.cast.deputies[tw.code], 3)
                batch: list[Item] = []
                for _ in range(self.rng.choice((2, 3, 3, 4, 4, 4))):
                    batch.append(self._opinion(tw, day, on_duty, batch))

    def _opinion(self, tw: Township, day: date, on_duty: list[Deputy], batch: list[Item]) -> Item:
        rng, cal = self.rng, self.svc.calendar
        deputies = tuple(rng.sample(on_duty, 2 if rng.random() < 0.2 else 1))
        origin = OpinionOrigin.reception_day
        received = day
        if rng.random() < 0.12:  # a deputy heard it while visiting and recorded it later
            origin = OpinionOrigin.deputy
            received = min(cal.add(day, rng.randint(2, 6)), self.today)
        fate = Fate(triage_gap=rng.randint(1, 2), assign_gap=rng.randint(1, 3))
        roll = rng.random()
        accepted = [b for b in batch if b.fate.triage == "accept"]
        if roll < 0.07 and origin is OpinionOrigin.reception_day:
            fate.triage = "on_spot"
            quick = rng.choice(ON_THE_SPOT)
            item = self._item(CaseKind.opinion, tw, deputies, received, fate, quick=quick)
        elif roll < 0.1:
            fate.triage = "refuse"
            refused = rng.choice(REFUSED_OPINIONS)
            item = self._item(CaseKind.opinion, tw, deputies, received, fate, refused=refused)
        elif roll < 0.14 and accepted:
            fate.triage = "merge"
            original = rng.choice(accepted)
            item = self._item(
                CaseKind.opinion,
                tw,
                deputies,
                received,
                fate,
                topic=original.topic,
                place=original.place,
                variant=rng.randint(1, 2),
            )
            item.original = original
        else:
            topic, place = self._fresh(tw)
            self._co(fate, topic)
            self._reply_fate(fate, suggestion=False)
            item = self._item(
                CaseKind.opinion, tw, deputies, received, fate, topic=topic, place=place
            )
        item.origin = origin
        item.constituent = self._constituent(tw, item.place or rng.choice(tw.places))
        return item

    def _constituent(self, tw: Township, place: str) -> Constituent:
        fake = self.fake
        if place.endswith("村"):
            address = f"{place}{self.rng.randint(1, 9)}组{self.rng.randint(1, 80)}号"
        else:
            address = f"{place}{fake.street_name()}{fake.building_number()}号"
        return Constituent(fake.name(), fake.phone_number(), f"青山县{tw.name}{address}")

    def _item(
        self,
        kind: CaseKind,
        tw: Township,
        deputies: tuple[Deputy, ...],
        received: date,
        fate: Fate,
        *,
        topic: Topic | None = None,
        place: str = "",
        variant: int = 0,
        refused: Refused | None = None,
        quick: Quick | None = None,
    ) -> Item:
        if topic is not None:
            write = suggestion_text if kind is CaseKind.suggestion else opinion_text
            title, content = write(topic, place, variant)
            category = topic.category
        elif refused is not None:
            title, content, category = refused.title, refused.content, "其他"
        else:
            assert quick is not None
            title, content, category = quick.title, quick.content, quick.category
        item = Item(
            n=len(self.items) + 1,
            kind=kind,
            township=tw,
            title=title,
            content=content,
            category=category,
            deputies=deputies,
            received=received,
            fate=fate,
            topic=topic,
            place=place,
            refused=refused,
            quick=quick,
        )
        self.items.append(item)
        return item

    def _special_fates(self) -> None:
        """Give a few accepted items the rarer paths: returns, extension, key chases, stalls."""
        rng = self.rng
        plain = [
            i
            for i in self.items
            if i.fate.triage == "accept"
            and i.kind is CaseKind.suggestion
            and i.timing is SuggestionTiming.session
            and not i.fate.co
            and not any(o.original is i for o in self.items)
        ]
        rng.shuffle(plain)
        misrouted = [i for i in plain if i.topic and i.topic.misroute][:2]
        rest = [i for i in plain if i not in misrouted]
        for item in misrouted:
            item.fate.misroute = True
            item.fate.assign_gap = 1
        for item in rest[:4]:
            item.fate.complex_ = True
        rest[4].fate.extension = True
        rest[4].fate.reply_class = ReplyClass.C
        rest[4].fate.late_days = 0
        rest[4].fate.share = 0.9
        rest[5].fate.key_chase = True
        rest[5].fate.reply_class = ReplyClass.B
        stalled = [next(i for i in rest[6:] if i.township is tw) for tw in TOWNSHIPS[:3]]
        for item in stalled:
            item.fate.stalled = True
        for item in stalled[:2]:
            item.fate.key_chase = True
        reopened = next(i for i in rest[6:] if not i.fate.stalled)
        reopened.fate.reply_class = ReplyClass.A
        reopened.fate.unsatisfied = False
        reopened.fate.late_days = 0
        reopened.fate.reopen = True
        opinions = [
            i
            for i in self.items
            if i.kind is CaseKind.opinion
            and i.fate.triage == "accept"
            and i.township.session is not None
            and not any(o.original is i for o in self.items)
        ]
        town_opinions = [i for i in opinions if i.received.month in range(3, 9)]
        for item in rng.sample(town_opinions, 2):
            item.fate.triage = "to_suggestion"
        routed = [i for i in opinions if i.topic and i.topic.misroute and i.fate.triage == "accept"]
        if routed:
            routed[0].fate.misroute = True
            routed[0].fate.assign_gap = 1

    def _recent(self) -> None:
        """Add items of the last weeks that stop where a county's work is found on any day."""
        cal, rng = self.svc.calendar, self.rng
        last = cal.on_or_before(self.today)

        def back(days: int) -> date:
            return cal.on_or_before(last - timedelta(days=days))

        def opinion(tw: Township, received: date, fate: Fate) -> Item:
            deputy = rng.choice(self.cast.deputies[tw.code])
            topic, place = self._fresh(tw)
            self._reply_fate(fate, suggestion=False)
            item = self._item(
                CaseKind.opinion, tw, (deputy,), received, fate, topic=topic, place=place
            )
            item.origin = OpinionOrigin.deputy
            item.constituent = self._constituent(tw, place)
            return item

        def suggestion(tw: Township, received: date, fate: Fate) -> Item:
            deputy = rng.choice([d for d in self.cast.deputies[tw.code] if d.county])
            topic, place = self._fresh(tw)
            self._reply_fate(fate, suggestion=True)
            item = self._item(
                CaseKind.suggestion, tw, (deputy,), received, fate, topic=topic, place=place
            )
            item.level, item.timing = Level.county, SuggestionTiming.between_sessions
            return item

        east, stone, willow, town = TOWNSHIPS
        opinion(east, back(1), Fate(stop="received"))
        # a near-paraphrase of an open opinion, still waiting for triage: a duplicate to find
        open_ones = [
            i
            for i in self.items
            if i.kind is CaseKind.opinion
            and i.topic is not None
            and i.fate.triage == "accept"
            and i.township is stone
            and i.received >= last - timedelta(days=45)
        ]
        if open_ones:
            original = open_ones[-1]
            dup = self._item(
                CaseKind.opinion,
                stone,
                (rng.choice(self.cast.deputies[stone.code]),),
                back(2),
                Fate(stop="received"),
                topic=original.topic,
                place=original.place,
                variant=2,
            )
            dup.origin = OpinionOrigin.deputy
            dup.constituent = self._constituent(stone, original.place)
        opinion(willow, back(4), Fate(stop="accepted", triage_gap=2))
        opinion(east, back(40), Fate(stalled=True))  # the unit let the opinion clock run out
        routed = opinion(town, back(12), Fate(stop="returned", assign_gap=1, misroute=True))
        if routed.topic is None or routed.topic.misroute is None:
            routed.topic = next(t for t in TOPICS if t.misroute)
            routed.title, routed.content = opinion_text(routed.topic, routed.place, 0)
            routed.category = routed.topic.category
        suggestion(east, back(60), Fate(stop="replied", share=0.3))
        unhappy = suggestion(stone, back(80), Fate(stop="rehandling", share=0.55))
        unhappy.fate.reply_class, unhappy.fate.unsatisfied = ReplyClass.D, True
        unhappy.fate.late_days, unhappy.fate.feedback_gap = 0, 8

    # --- playing the year -------------------------------------------------------------------
    async def play(self) -> None:
        """Play every item's life in date order, up to ``today``."""
        for item in self.items:
            self._advance(item, self._life(item))
        while self._queue:
            day, _, key = heapq.heappop(self._queue)
            item, life, step = self._lives.pop(key)
            if day > self.today:
                continue  # not yet: the item stays where it stands today
            result = await step.act(self.on(day))
            if result is not None:
                item.case = result
            item.last_day = day
            self._advance(item, life)

    def on(self, day: date) -> Services:
        """Return the services with their clock at 10:00 China time on ``day``."""
        return replace(self.svc, clock=functools.partial(ten_oclock, day))

    def _advance(self, item: Item, life: Iterator[Step]) -> None:
        step = next(life, None)
        if step is None:
            return
        day = max(step.day, item.last_day)
        self._seq += 1
        self._lives[self._seq] = (item, life, step)
        heapq.heappush(self._queue, (day, self._seq, self._seq))

    def _as(self, principal: Principal, item: Item) -> Caller:
        return Caller(principal=principal, correlation_id=f"demo-case-{item.n:03d}")

    async def _read(self, svc: Services, case_id: str) -> Case | None:
        async with svc.uow() as uow:
            return await svc.store(uow).case(case_id)

    def _submit(self, item: Item) -> Act:
        first = item.deputies[0]
        by = first.principal if item.kind is CaseKind.suggestion else None
        principal = by or self.cast.staff[item.township.code]
        draft = intake.Draft(
            kind=item.kind,
            township=item.township.code,
            title=item.title,
            content=item.content,
            category=item.category,
            deputy_ids=tuple(d.deputy_id for d in item.deputies),
            level=item.level,
            timing=item.timing,
            origin=item.origin,
            constituent=item.constituent,
        )

        async def act(svc: Services) -> Case | None:
            item.case_id, _ = await intake.submit(svc, self._as(principal, item), draft)
            return await self._read(svc, item.case_id)

        return act

    def _life(self, item: Item) -> Iterator[Step]:
        f, cal, cast = item.fate, self.svc.calendar, self.cast
        staff = cast.staff[item.township.code]
        if not item.case_id:
            yield Step(item.received, self._submit(item))
        if f.stop == "received":
            return
        triage_day = cal.add(item.received, f.triage_gap)
        if f.triage == "on_spot":
            assert item.quick is not None
            answer = item.quick.answer
            yield Step(
                item.received,
                lambda svc: intake.answer_on_spot(
                    svc, self._as(staff, item), item.case_id, item.version, answer
                ),
            )
            return
        if f.triage == "refuse":
            assert item.refused is not None
            refused = item.refused
            yield Step(
                triage_day,
                lambda svc: intake.not_accept(
                    svc,
                    self._as(staff, item),
                    item.case_id,
                    item.version,
                    refused.reason,
                    refused.comment,
                ),
            )
            return
        original = item.original
        absorbing = {State.received, State.accepted, State.assigned, State.returned}
        if f.triage == "merge" and original is not None and original.state in absorbing:
            yield Step(triage_day, self._merge(item, original))
            return
        if f.triage == "to_suggestion":
            yield Step(triage_day, self._to_suggestion(item))
            return
        complex_ = f.complex_ and item.kind is CaseKind.suggestion
        note = "情况复杂、涉及面广，按复杂建议办理（六个月）" if complex_ else ""
        yield Step(
            triage_day,
            lambda svc: intake.accept(
                svc, self._as(staff, item), item.case_id, item.version, complex_, note
            ),
        )
        if f.stop == "accepted":
            return
        assigner = cast.admin if item.level is Level.county else staff
        assign_day = cal.add(triage_day, f.assign_gap)
        topic = item.topic
        assert topic is not None
        if f.misroute and topic.misroute:
            wrong = topic.misroute
            yield Step(assign_day, self._assign(item, assigner, wrong, (), "交办会集中交办"))
            returned_on = cal.add(assign_day, self.rng.randint(2, 4))
            reason = f"该事项属于{UNIT_NAMES[topic.lead]}职责范围，申请退回重新交办。"
            yield Step(
                returned_on,
                lambda svc: hd.return_(
                    svc,
                    self._as(cast.units[wrong], item),
                    item.case_id,
                    item.version,
                    wrong,
                    reason,
                ),
            )
            if f.stop == "returned":
                return
            assign_day = cal.add(returned_on, self.rng.randint(1, 2))
        comment = "经退办重新交办" if f.misroute else "交办会集中交办"
        yield Step(assign_day, self._assign(item, assigner, topic.lead, f.co, comment))
        if f.key_chase and not f.stalled:
            yield Step(
                cal.add(assign_day, 6),
                self._key_chase(item, "经主任会议研究，列为重点督办建议，由分管副主任牵头督办。"),
            )
        if f.extension:
            assert item.case is not None
            assert item.case.due_on is not None
            due = item.case.due_on
            later = cal.on_or_before(due + timedelta(days=60))
            reason = "涉及跨部门资金统筹，承办单位书面申请延期，经主任会议同意。"
            yield Step(
                cal.on_or_before(due - timedelta(days=14)),
                lambda svc: hd.extend(
                    svc, self._as(cast.admin, item), item.case_id, item.version, later, reason
                ),
            )
        if f.stalled:
            if f.key_chase:
                assert item.case is not None
                assert item.case.due_on is not None
                yield Step(
                    cal.add(item.case.due_on, 8),
                    self._key_chase(item, "逾期未答复，列入重点督办，约谈承办单位负责人。"),
                )
            return
        if f.stop == "assigned":
            return
        yield self._reply(item, f.reply_class, f.share, f.late_days)
        if f.stop == "replied":
            return
        assert item.case is not None
        replied_on = item.case.replies[-1].replied_on
        feedback_on = cal.on_or_after(replied_on + timedelta(days=f.feedback_gap))
        yield Step(feedback_on, self._feedback(item, unsatisfied=f.unsatisfied))
        if f.stop == "rehandling":
            return
        if item.state is State.rehandling:
            second = self.rng.choice((ReplyClass.A, ReplyClass.A, ReplyClass.B))
            yield self._reply(item, second, self.rng.uniform(0.4, 0.9), 0)
            replied_on = item.case.replies[-1].replied_on
            feedback_on = cal.on_or_after(replied_on + timedelta(days=self.rng.randint(5, 12)))
            yield Step(feedback_on, self._feedback(item, unsatisfied=False))
        if item.state is State.closed and f.reopen:
            instruction = "县人大常委会主任批示：群众仍有反映，请承办单位重新办理并当面答复代表。"
            yield Step(
                cal.add(feedback_on, 20),
                lambda svc: hd.reopen(
                    svc,
                    self._as(cast.leader, item),
                    item.case_id,
                    item.version,
                    ReopenReason.instruction,
                    instruction,
                ),
            )
            yield self._reply(item, ReplyClass.A, 0.6, 0)
            replied_on = item.case.replies[-1].replied_on
            yield Step(cal.add(replied_on, 7), self._feedback(item, unsatisfied=False))
        if item.state is State.follow_up:
            last = item.case.replies[-1]
            promised = last.follow_up_due_on
            assert promised is not None
            if f.resolves:
                done = cal.on_or_before(promised - timedelta(days=self.rng.randint(0, 20)))
                report = f"承办单位书面报告：{topic.short}事项已办理完成，经代表现场察看确认。"
                yield Step(
                    max(done, feedback_on),
                    lambda svc: hd.resolve(
                        svc, self._as(staff, item), item.case_id, item.version, report
                    ),
                )
            else:
                year_end = cal.on_or_before(date(last.replied_on.year, 12, 28))
                into = last.replied_on.year + 1
                yield Step(
                    year_end,
                    lambda svc: hd.carry_over(
                        svc, self._as(staff, item), item.case_id, item.version, into
                    ),
                )

    def _merge(self, item: Item, original: Item) -> Act:
        staff = self.cast.staff[item.township.code]

        async def act(svc: Services) -> Case | None:
            merged = await intake.merge(
                svc,
                self._as(staff, item),
                item.case_id,
                item.version,
                original.case_id,
                "与同类问题并案办理",
            )
            original.case = await self._read(svc, original.case_id)
            return merged

        return act

    def _to_suggestion(self, item: Item) -> Act:
        staff = self.cast.staff[item.township.code]
        comment = "接待代表认为该问题具有普遍性，转为代表建议提交镇人大主席团。"

        async def act(svc: Services) -> Case | None:
            opinion, suggestion_id = await intake.to_suggestion(
                svc, self._as(staff, item), item.case_id, item.version, comment
            )
            fate = Fate(triage_gap=1, assign_gap=2)
            self._reply_fate(fate, suggestion=True)
            spawned = Item(
                n=len(self.items) + 1,
                kind=CaseKind.suggestion,
                township=item.township,
                title=item.title,
                content=item.content,
                category=item.category,
                deputies=item.deputies,
                received=svc.today(),
                fate=fate,
                topic=item.topic,
                place=item.place,
                level=Level.township,
                case_id=suggestion_id,
                case=await self._read(svc, suggestion_id),
                last_day=svc.today(),
            )
            self.items.append(spawned)
            self._advance(spawned, self._life(spawned))
            return opinion

        return act

    def _assign(
        self, item: Item, by: Principal, lead: str, co: tuple[str, ...], comment: str
    ) -> Act:
        return lambda svc: hd.assign(
            svc, self._as(by, item), item.case_id, item.version, lead, co, comment
        )

    def _key_chase(self, item: Item, comment: str) -> Act:
        return lambda svc: hd.designate_key_chase(
            svc, self._as(self.cast.leader, item), item.case_id, item.version, comment
        )

    def _reply(self, item: Item, reply_class: ReplyClass, share: float, late_days: int) -> Step:
        cal = self.svc.calendar
        case = item.case
        assert case is not None
        assert case.clock_start is not None
        assert case.due_on is not None
        start, due = case.clock_start, case.due_on
        if late_days:
            day = cal.on_or_after(due + timedelta(days=late_days))
        else:
            day = cal.on_or_before(start + timedelta(days=round((due - start).days * share)))
            day = max(day, cal.add(start, 2))
        lead = case.lead
        assert lead is not None
        assert item.topic is not None
        unit = UNIT_NAMES[lead.unit_id]
        short, action = item.topic.short, item.topic.action
        promised: date | None = None
        if reply_class is ReplyClass.A:
            text = f"已办理完毕：{unit}高度重视，经现场调研，已{action}。下一步将加强日常管护，巩固办理成效。"
        elif reply_class is ReplyClass.B:
            promised = day + timedelta(days=self.rng.randint(45, 150))
            text = (
                f"正在办理：{unit}已将{item.place}{short}事项列入年度工作计划，目前已完成前期勘察设计，"
                f"预计{promised.year}年{promised.month}月底前完成。"
            )
        elif reply_class is ReplyClass.C:
            promised = day + timedelta(days=self.rng.randint(240, 420))
            text = (
                f"列入计划：受资金和用地条件限制，{short}事项已列入{unit}中长期规划，"
                f"将在条件具备时逐步实施，预计{promised.year}年{promised.month}月前启动。"
            )
        else:
            text = (
                f"留作参考：经研究，{short}事项涉及政策调整且资金缺口较大，目前暂不具备实施条件，"
                "相关意见已留作今后工作参考，并已当面向代表说明情况。"
            )
        co = tuple(
            CoOpinion(
                u.unit_id, f"{UNIT_NAMES[u.unit_id]}会办意见：同意主办单位意见，将积极配合实施。"
            )
            for u in case.co_units
        )
        replier = self.cast.units[lead.unit_id]

        def act(svc: Services) -> Awaitable[Case]:
            return hd.reply(
                svc,
                self._as(replier, item),
                item.case_id,
                item.version,
                unit_id=lead.unit_id,
                reply_class=reply_class,
                text=text,
                co_opinions=co,
                follow_up_due_on=promised,
            )

        return Step(day, act)

    def _feedback(self, item: Item, *, unsatisfied: bool) -> Act:
        case = item.case
        assert case is not None
        deputy = self.cast.deputy(case.submitter)
        satisfied, basically = Satisfaction.satisfied, Satisfaction.basically_satisfied
        comment = ""
        if unsatisfied:
            process, result = basically, Satisfaction.unsatisfied
            comment = self.rng.choice(
                (
                    "答复内容笼统，没有明确的解决时限，群众仍有意见。",
                    "承办单位未与代表见面沟通，问题没有实质性解决。",
                    "答复称暂不具备条件，但群众诉求迫切，希望重新研究。",
                )
            )
        elif case.reply_class is ReplyClass.A:
            process, result = (
                satisfied,
                self.rng.choice((satisfied, satisfied, satisfied, basically)),
            )
        else:
            process = self.rng.choice((satisfied, basically))
            result = basically
        return lambda svc: hd.give_feedback(
            svc,
            self._as(deputy.principal, item),
            item.case_id,
            item.version,
            process,
            result,
            comment,
        )


__all__ = ["COUNTY", "Year", "session_year", "ten_oclock"]
