"""Time the calendar feed and the sign-in sheet renderers (no database, no broker).

Run: ``uv run --frozen python services/deputies/bench_documents.py [plans] [names]``.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from deputies.documents import ical, signin


def main(plans: int = 2000, names: int = 300) -> None:
    """Render a feed of ``plans`` plans and a sign-in sheet of ``names`` names; print the times."""
    start = datetime(2026, 12, 15, 1, 0, tzinfo=UTC)
    items: list[dict[str, Any]] = [
        {
            "id": f"P-{i}",
            "title": "代表接待选民日",
            "type": "reception_day",
            "starts_at": start + timedelta(days=i % 300),
            "ends_at": start + timedelta(days=i % 300, hours=2),
            "state": "planned",
            "sequence": i % 3,
            "station_name": "东湖镇人大代表之家",
            "station_address": "镇政府一楼",
            "address": None,
        }
        for i in range(plans)
    ]
    began = time.perf_counter()
    feed = ical.render("东湖镇履职活动", items, domain="deputies.npc", stamp=start)
    feed_s = time.perf_counter() - began
    sheet = signin.SheetActivity(
        county="青山县",
        township="东湖镇",
        title="代表接待选民日",
        type_label="接待选民日",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="东湖镇人大代表之家",
        names=tuple((f"代表{i}", "东湖镇") for i in range(names)),
    )
    began = time.perf_counter()
    docx = signin.render(sheet)
    sheet_s = time.perf_counter() - began
    print(
        f"feed: {plans} plans {feed_s * 1000:.0f} ms ({feed_s / plans * 1000:.2f} ms each, "
        f"{len(feed)} bytes); sign-in sheet: {names} names {sheet_s * 1000:.0f} ms "
        f"({len(docx)} bytes)"
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
