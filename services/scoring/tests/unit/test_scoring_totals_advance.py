"""Totals advanced batch by batch equal the totals counted from the card's lines at once."""

from __future__ import annotations

import random

from scoring_harness import P, activity, cancel, deputy, rules, suggestion

from contracts.vocabulary import ActivityType
from scoring.domain import facts as f
from scoring.domain.ledger import Ledger
from scoring.domain.scorecard import score_card
from scoring.domain.totals import advance, fresh, tally


def test_advancing_by_batches_equals_counting_at_once_and_the_card() -> None:
    rng = random.Random(3)
    ruleset = rules()
    ledger = Ledger(ruleset)
    people = [f"d{i}" for i in range(4)]
    facts: list[f.Fact] = [deputy(p) for p in people]
    kinds = (ActivityType.congress_session, ActivityType.inspection, ActivityType.public_welfare)
    for n in range(120):
        if n % 7 == 6:
            facts.append(cancel(f"a{n - 3}", 2))
        elif n % 5 == 4:
            facts.append(suggestion(f"c{n}", rng.choice(people), rng.choice(people)))
        else:
            marks = {p: rng.choice((P.present, P.unexcused_absence)) for p in rng.sample(people, 2)}
            facts.append(activity(f"a{n}", rng.choice(kinds), marks))
    written = [e for x in facts for e in ledger.apply(x)]
    assert any(e.compensates for e in written)
    for who in people:
        totals = fresh(who, "330102001", ruleset)
        mine = [e for e in written if e.deputy_id == who]
        rule_of = {e.entry_id: e.rule_id for e in mine}
        i = 0
        while i < len(mine):
            n = rng.randint(1, 9)
            chunk = mine[i : i + n]
            reversed_rules = {e.compensates: rule_of[e.compensates] for e in chunk if e.compensates}
            totals = advance(totals, chunk, reversed_rules, ruleset)
            i += n
        assert totals == tally(who, "330102001", mine, (), ruleset)
        card = score_card(who, mine, ruleset)
        assert (totals.total, totals.grade) == (card.total, card.grade)
