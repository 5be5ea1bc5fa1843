"""Properties of the assessment over generated township years: bounds, order and redelivery."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings, strategies as st
from scoring_harness import (
    AS_OF,
    COUNTY,
    JOINT,
    TOWNSHIP_ONLY,
    YEAR,
    P,
    activity,
    cancel,
    closed,
    deputy,
    published,
    reply,
    src,
    township,
)

from contracts.vocabulary import (
    ActivityType as T,
    AssessmentDimension,
    CaseKind,
    OutletLevel,
    Placement,
    ReplyClass,
    TownshipKind,
)
from scoring.domain import facts as f
from scoring.domain.assessment import assess
from scoring.domain.documents import default_assessment_rules

RULES = default_assessment_rules(COUNTY, YEAR)
CODES = ("330102001", "330102002", "330102003")
days = st.integers(0, 364).map(lambda n: date(YEAR, 1, 1) + timedelta(days=n))


@st.composite
def township_year(draw: st.DrawFn, code: str) -> list[f.Fact]:
    """One township's facts, in an order that keeps each aggregate's own order."""
    kind = draw(st.sampled_from(list(TownshipKind)))
    people = [f"{code}-d{i}" for i in range(draw(st.integers(0, 6)))]
    facts: list[f.Fact] = [township(code, kind), *(deputy(p, code) for p in people)]
    for i in range(draw(st.integers(0, 25))):
        move = draw(st.sampled_from(["activity", "cancel", "case", "paper", "topic", "roster"]))
        if move in ("activity", "cancel"):
            kind_of = draw(st.sampled_from(list(T)))
            attending = {p: draw(st.sampled_from(list(P))) for p in people[:3]}
            levels = draw(st.sampled_from([TOWNSHIP_ONLY, JOINT]))
            facts.append(
                activity(
                    f"{code}-a{i}", kind_of, attending, on=draw(days), levels=levels, township=code
                )
            )
            if move == "cancel":
                facts.append(cancel(f"{code}-a{i}", 2, township=code))
        elif move == "case":
            facts.append(
                reply(
                    f"{code}-c{i}",
                    ReplyClass.B,
                    kind=CaseKind.opinion,
                    on_time=draw(st.booleans()),
                    township=code,
                )
            )
            facts.append(
                closed(
                    f"{code}-c{i}",
                    solved=draw(st.booleans()),
                    on_time=draw(st.booleans()),
                    township=code,
                )
            )
        elif move == "paper":
            level = draw(st.sampled_from(list(OutletLevel)))
            placement = draw(st.sampled_from(list(Placement)))
            facts.append(
                published(f"{code}-m{draw(st.integers(0, 5))}", level, placement, code, draw(days))
            )
        elif move == "topic":
            passed = draw(st.sampled_from([True, False, None]))
            facts.append(
                f.TopicClosed(src(), f"{code}-t{i}", code, draw(st.booleans()), passed, draw(days))
            )
        else:
            roster: list[f.Fact] = [
                f.RosterVerified(src(), code, draw(days)),
                f.Stale(src(), code, None, draw(days)),
            ]
            facts.append(draw(st.sampled_from(roster)))
    return facts


@st.composite
def county_year(draw: st.DrawFn) -> tuple[list[f.Fact], list[f.Fact]]:
    """The county's facts township by township, and the same facts interleaved at random."""
    lists = [draw(township_year(code)) for code in CODES]
    queues = [list(x) for x in lists]
    mixed: list[f.Fact] = []
    while queues:
        i = draw(st.integers(0, len(queues) - 1))
        mixed.append(queues[i].pop(0))
        if not queues[i]:
            queues.pop(i)
    return [x for facts in lists for x in facts], mixed


@settings(max_examples=40, deadline=None)
@given(county_year())
def test_townships_interleaved_or_redelivered_give_the_same_assessment(
    years: tuple[list[f.Fact], list[f.Fact]],
) -> None:
    ordered, mixed = years
    expected = assess(ordered, RULES, as_of=AS_OF)
    assert assess(mixed, RULES, as_of=AS_OF) == expected
    assert assess([*mixed, *mixed[::2]], RULES, as_of=AS_OF) == expected


@settings(max_examples=40, deadline=None)
@given(county_year())
def test_every_dimension_stays_within_0_and_its_max(
    years: tuple[list[f.Fact], list[f.Fact]],
) -> None:
    bonus = RULES.dimensions[AssessmentDimension.bonus].max
    for result in assess(years[0], RULES, as_of=AS_OF):
        for dimension in result.dimensions:
            assert Decimal(0) <= dimension.points <= dimension.max_points
        assert Decimal(0) <= result.total <= Decimal(100) + bonus
        assert 1 <= result.rank <= result.ranked == len(CODES)
