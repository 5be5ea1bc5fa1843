"""The demo county's year of cases loads into SQLite once, realistically, and a second run is a no-op."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from cases.demo import run
from cases.domain.states import HANDLING, State
from cases.settings import CasesSettings


def _rows(path: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(query).fetchall()


async def test_the_demo_year_loads_once_with_every_state(tmp_path: Path) -> None:
    path = tmp_path / "cases.db"
    settings = CasesSettings.for_service("cases", database_url=f"sqlite+aiosqlite:///{path}")
    today = date.today()

    assert await run(settings) is True

    kinds = Counter(
        {str(k): int(n) for k, n in _rows(path, "select kind, count(*) from cases group by kind")}
    )
    assert 100 <= kinds["suggestion"] <= 140
    assert 120 <= kinds["opinion"] <= 180
    states = {str(s) for (s,) in _rows(path, "select distinct state from cases")}
    assert states == {s.value for s in State}  # triage outcomes, handling, follow-up, closed...
    handling = ", ".join(f"'{s.value}'" for s in HANDLING)
    overdue = _rows(
        path, f"select count(*) from cases where state in ({handling}) and due_on < '{today}'"
    )
    assert overdue[0][0] >= 1
    assert _rows(path, "select count(*) from announcements_made")[0][0] >= 1
    classes = Counter(
        {
            str(c): int(n)
            for c, n in _rows(
                path,
                "select reply_class, count(*) from cases where reply_class is not null group by 1",
            )
        }
    )
    replied = sum(classes.values())
    assert 0.5 <= classes["A"] / replied <= 0.72
    assert all(classes[c] for c in "BCD")
    assert _rows(path, "select count(*) from cases where key_chase = 1")[0][0] == 3
    assert _rows(path, "select count(*) from units")[0][0] == 12
    assert _rows(path, "select township, opinion_days from township_clocks") == [("990101003", 20)]
    contacts = _rows(path, "select name, phone, address from constituents")
    turned = _rows(path, "select count(*) from cases where state = 'to_suggestion'")[0][0]
    # every opinion keeps its constituent, and so does the suggestion it was turned into
    assert len(contacts) == kinds["opinion"] + turned
    assert all(
        name and phone and str(address).startswith("青山县") for name, phone, address in contacts
    )

    assert await run(settings) is False
    assert _rows(path, "select count(*) from cases")[0][0] == sum(kinds.values())
