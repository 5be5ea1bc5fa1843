"""Bench of the township assessment alone: CPU time of ``assess`` over a generated county year.

The facts are cut from ``testing/replay_history.county_year`` (activities, suggestions, replies,
key chases, feedback, reopenings, assignments, overdue notices, closures); prints the best of
``--runs`` in CPU milliseconds. ``--base-src DIR`` imports the scoring package from another tree
first (e.g. a checkout of main's ``services/scoring/src``) to compare two versions on one machine.

Run: ``.venv/bin/python services/scoring/bench_assessment.py [--events 20000] [--base-src DIR]``.
"""

from __future__ import annotations

import argparse
import inspect
import random
import sys
import time
from datetime import date
from typing import Any


def main() -> None:
    """Time ``assess`` and print the best run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--base-src", default=None, help="import scoring from this tree first")
    args = parser.parse_args()
    if args.base_src:
        sys.path.insert(0, args.base_src)
    from scoring.domain import assessment
    from scoring.domain.documents import default_assessment_rules
    from scoring.domain.translate import fact_of
    from scoring.testing.replay_history import county_year

    events = list(county_year(random.Random(1), args.events))  # noqa: S311 (test data)
    facts = [x for x in (fact_of(e) for e in events) if x is not None]
    rules = default_assessment_rules("990101", 2026)
    assess: Any = assessment.assess
    given = {"as_of": date(2027, 3, 1)} if "as_of" in inspect.signature(assess).parameters else {}
    runs = []
    for _ in range(args.runs):
        started = time.process_time()
        assess(facts, rules, **given)
        runs.append(time.process_time() - started)
    print(f"{assessment.__file__}: {len(facts)} facts, assess {min(runs) * 1000:.1f} ms CPU")


if __name__ == "__main__":
    main()
