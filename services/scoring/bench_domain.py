"""Bench of the scoring domain alone (no database, no broker): CPU time of derive, cards, preview.

A generated county year: D deputies, A activities of 5 attendees each, S suggestions with two
co-signers and a reply each, then corrections of a tenth of the activities. Prints CPU seconds
(``time.process_time``), so a loaded machine slows the wall clock but not the numbers much.

Run: ``.venv/bin/python services/scoring/bench_domain.py [--deputies 2000] [--activities 20000]
[--suggestions 5000]``.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from contracts.vocabulary import ActivityType, CaseKind, Level, ReplyClass
from scoring.domain import facts as f
from scoring.domain.documents import default_rule_set
from scoring.domain.ledger import derive
from scoring.domain.preview import preview
from scoring.domain.scorecard import score_cards

YEAR, TOWN = 2026, "330102001"
KINDS = [
    ActivityType.inspection,
    ActivityType.research,
    ActivityType.training,
    ActivityType.reception_day,
    ActivityType.public_welfare,
    ActivityType.congress_session,
]


def history(deputies: int, activities: int, suggestions: int, seed: int = 1) -> list[f.Fact]:
    """Return a generated county year of facts (the same for the same arguments)."""
    rnd = random.Random(seed)  # noqa: S311 (test data, not secrets)
    ids = [f"d{i}" for i in range(deputies)]
    serial = iter(range(10**9))

    def src(event_type: str) -> f.Source:
        return f.Source(UUID(int=next(serial)), event_type, date(YEAR, 12, 31))

    def held(i: int, version: int) -> f.ActivityHeld:
        day = date(YEAR, 1, 1) + timedelta(days=rnd.randrange(365))
        attendance = tuple((d, rnd.choice(list(f.Presence))) for d in rnd.sample(ids, 5))
        return f.ActivityHeld(
            src("deputies.activity.logged"),
            f"a{i}",
            TOWN,
            KINDS[i % len(KINDS)],
            frozenset({Level.county}),
            day,
            Decimal(rnd.choice([2, 4, 8])),
            attendance,
            version,
            corrects=version > 1,
        )

    facts: list[f.Fact] = [held(i, 1) for i in range(activities)]
    for i in range(suggestions):
        lead, *co = rnd.sample(ids, 3)
        on = date(YEAR, 1, 1) + timedelta(days=rnd.randrange(300))
        facts.append(
            f.SuggestionFiled(src("cases.suggestion.submitted"), f"c{i}", TOWN, lead, tuple(co), on)
        )
        reply_class = rnd.choice(list(ReplyClass))
        facts.append(
            f.CaseReplied(
                src("cases.case.replied"),
                f"c{i}",
                TOWN,
                CaseKind.suggestion,
                reply_class,
                True,
                on + timedelta(days=60),
            )
        )
    facts += [held(i, 2) for i in range(0, activities, 10)]
    return facts


def main() -> None:
    """Run the bench and print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deputies", type=int, default=2000)
    parser.add_argument("--activities", type=int, default=20000)
    parser.add_argument("--suggestions", type=int, default=5000)
    args = parser.parse_args()
    rules = default_rule_set(TOWN[:6], YEAR)
    facts = history(args.deputies, args.activities, args.suggestions)
    started = time.process_time()
    entries = derive(facts, rules)
    spent = time.process_time() - started
    print(
        f"derive: {len(facts)} facts -> {len(entries)} entries in {spent:.2f} s CPU "
        f"({len(facts) / spent:,.0f} facts/s, {len(entries) / spent:,.0f} entries/s)"
    )
    started = time.process_time()
    cards = score_cards(entries, rules)
    print(f"score_cards: {len(cards)} cards in {time.process_time() - started:.2f} s CPU")
    started = time.process_time()
    result = preview(facts, rules, rules)
    print(
        f"preview (two derivations, two card sets, diff): {time.process_time() - started:.2f} s CPU, empty={result.empty}"
    )


if __name__ == "__main__":
    main()
