"""The 人大代表之声 digest: what it counts for a period and scope, in Markdown and in Word."""

from __future__ import annotations

import io
from datetime import date

import docx

from cases.digest.model import Digest, build_digest, theme_counts
from cases.digest.render import cell, pct, render_docx, render_markdown
from cases.domain.states import State
from cases.domain.statistics import CaseFacts
from contracts.vocabulary import CaseKind, ReplyClass, Satisfaction

TODAY = date(2026, 7, 1)
NAMES = {"990101001": "东湖镇", "990101002": "石桥镇"}
UNITS = {"traffic": "县交通运输局"}


def fact(
    case_id: str,
    received: date,
    *,
    township: str = "990101001",
    category: str = "交通",
    state: State = State.closed,
    reply: ReplyClass | None = ReplyClass.A,
    due: date = date(2026, 6, 1),
) -> CaseFacts:
    """Return the facts of one case."""
    return CaseFacts(
        case_id=case_id,
        kind=CaseKind.suggestion if case_id.startswith("s") else CaseKind.opinion,
        township=township,
        category=category,
        title=f"标题|{case_id}",
        state=state,
        received_on=received,
        lead_unit_id="traffic",
        unit_ids=("traffic",),
        due_on=due,
        replied_on=date(2026, 5, 1) if reply else None,
        reply_class=reply,
        on_time=True if reply else None,
        solved=reply is ReplyClass.A and state is State.closed,
        result=Satisfaction.satisfied if reply else None,
    )


FACTS = [
    fact("s1", date(2026, 4, 1)),  # first day of the period
    fact("s2", date(2026, 6, 30), category="教育"),  # last day
    fact("o1", date(2026, 5, 5), state=State.assigned, reply=None),  # overdue 30 days
    fact("o2", date(2026, 5, 6), township="990101002", state=State.assigned, reply=None),
    fact("s3", date(2026, 3, 31)),  # before the period
    fact("s4", date(2026, 5, 1), township="990102001"),  # another county
]


def digest() -> Digest:
    """Return the second quarter's digest of 青山县."""
    return build_digest(
        FACTS,
        digest_id="d1",
        title="人大代表之声 2026年第2期",
        scope="990101",
        period_start=date(2026, 4, 1),
        period_end=date(2026, 6, 30),
        today=TODAY,
    )


def test_the_digest_counts_the_period_and_scope_only() -> None:
    d = digest()
    assert d.case_count == 4
    assert (d.suggestions, d.opinions) == (2, 2)
    assert [o.case_id for o in d.overdue] == ["o1", "o2"]
    assert d.overdue[0].days_overdue == 30
    assert theme_counts(d) == [
        ("交通", "990101001", 2),
        ("交通", "990101002", 1),
        ("教育", "990101001", 1),
    ]
    assert d.totals.solved == 2


def test_markdown_has_the_tables_names_and_rates() -> None:
    text = render_markdown(digest(), township_names=NAMES, unit_names=UNITS)
    assert text.startswith("# 人大代表之声 2026年第2期")
    assert "共收到代表建议和选民意见 **4** 件" in text
    assert "| 交通 | 3 | 1 | 100.0% | 100.0% | 100.0% | 2 |" in text
    assert "| 石桥镇 | 1 | 0 | — | — | — | 1 |" in text
    assert "标题\\|o1" in text  # a pipe cannot break the table
    assert "县交通运输局" in text
    assert "\n\n## 各镇街情况" in text


def test_docx_opens_and_carries_the_same_content() -> None:
    data = render_docx(digest(), township_names=NAMES, unit_names=UNITS)
    document = docx.Document(io.BytesIO(data))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    assert "人大代表之声 2026年第2期" in paragraphs
    assert "逾期未办结事项" in paragraphs
    cells = {c.text for table in document.tables for row in table.rows for c in row.cells}
    assert {"东湖镇", "石桥镇", "县交通运输局", "标题|o1", "100.0%"} <= cells


def test_formatting_helpers() -> None:
    assert pct(None) == "—"
    assert pct(0.6667) == "66.7%"
    assert cell("a|b\nc") == "a\\|b c"
