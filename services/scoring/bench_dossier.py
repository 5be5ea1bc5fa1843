"""CPU time of rendering one 履职档案 as DOCX: 230 activity rows, 20 suggestions, 30 items."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

from scoring.adapters.docx_dossier import render
from scoring.domain.dossier import Attended, Dossier, Item, Suggestion

RUNS = 10


def main() -> None:
    """Render the same large dossier a few times and print the CPU time per rendering."""
    acts = tuple(
        Attended(date(2026, 1 + i % 12, 1 + i % 28), f"a{i}", "inspection", "present", Decimal(3))
        for i in range(200)
    )
    d = Dossier(
        deputy_id="d1",
        township="990101001",
        year=2026,
        rule_set_version=1,
        activities=acts,
        reception_days=acts[:24],
        training=acts[:6],
        suggestions=tuple(Suggestion(f"c{i}", "lead", date(2026, 2, 1)) for i in range(20)),
        items=tuple(Item(f"rule.{i}", 3, Decimal(9)) for i in range(30)),
        base=Decimal(60),
        total=Decimal(700),
        grade="excellent",
        grade_reasons=(),
        minimums=(("一次人代会", True),),
    )
    start = time.process_time()
    for _ in range(RUNS):
        size = len(render(d))
    ms = (time.process_time() - start) / RUNS * 1000
    print(f"{ms:.0f} ms CPU per dossier ({size} bytes)")


if __name__ == "__main__":
    main()
