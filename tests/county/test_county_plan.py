"""The demo county's year is drawn from one seed: the same rosters give the same year."""

from __future__ import annotations

import random
from datetime import date

from faker import Faker

from county import casework, work
from county.api import Platform, Urls
from county.people import PLACES, Member, Roster, roster_csv

TODAY = date(2026, 11, 30)


def rosters() -> list[Roster]:
    """Return rosters of made-up ids, as the deputies service would list them."""
    made: list[Roster] = []
    for place in PLACES:
        roster = Roster(place, stations=[f"{place.code}-s{i}" for i in range(place.points + 1)])
        count = place.township_deputies + place.county_deputies
        for i in range(count):
            county = i >= place.township_deputies
            town = not county or (place.town and i % 3 == 0)
            roster.members.append(
                Member(f"{place.code}-{i:03d}", f"代表{i}", place.code, county, town, None)
            )
        made.append(roster)
    left = made[0].members.pop(0)
    made[0].left.append(Member(**{**left.__dict__, "until": date(2026, 3, 1)}))
    return made


def draw() -> tuple[list[work.Planned], list[casework.Item]]:
    rng = random.Random(990101)
    shaped = rosters()
    will = work.diligence(shaped, rng)
    planned = work.plan(shaped, will, rng, TODAY, [])
    year = casework.Year(Platform(Urls()), shaped, will, rng, TODAY)
    year.draw()
    return planned, year.items


def test_the_same_seed_draws_the_same_year() -> None:
    first, second = draw(), draw()
    assert [(p.key, p.attendance) for p in first[0]] == [(p.key, p.attendance) for p in second[0]]
    assert [(i.title, i.fate) for i in first[1]] == [(i.title, i.fate) for i in second[1]]
    Faker.seed(1)
    one = roster_csv(PLACES[0], ["站"], Faker("zh_CN"), random.Random(1))
    Faker.seed(1)
    assert one == roster_csv(PLACES[0], ["站"], Faker("zh_CN"), random.Random(1))


def test_a_deputy_who_left_is_marked_only_before_leaving_and_files_nothing() -> None:
    planned, items = draw()
    gone = "990101001-000"
    days = [p.held_on for p in planned if gone in p.attendance]
    assert days
    assert max(days) < date(2026, 3, 1)
    assert all(gone not in {m.deputy_id for m in i.deputies} for i in items)
    assert not [p for p in planned if p.held_on > TODAY]


def test_every_serving_deputy_leads_a_suggestion_and_the_fates_are_mixed() -> None:
    _, items = draw()
    suggestions = [i for i in items if i.kind == "suggestion"]
    leads = {i.deputies[0].deputy_id for i in suggestions}
    serving = {m.deputy_id for r in rosters() for m in r.members if m.town or m.county}
    assert len(leads) / len(serving) > 0.9
    triage = {i.fate.triage for i in items}
    assert {"accept", "refuse", "merge", "on_spot"} <= triage
    assert any(i.fate.stalled for i in items)
    assert any(i.fate.key_chase for i in items)
    assert {i.fate.reply_class for i in items} >= {"A", "B"}
