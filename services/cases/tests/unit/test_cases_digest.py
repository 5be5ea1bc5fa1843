"""The 人大代表之声 digest of twelve cases: period and scope, overdue items, Markdown and Word."""

from __future__ import annotations

import io
from datetime import date, timedelta

import docx
from hypothesis import given, settings, strategies as st

from cases.digest.model import Digest, OverdueItem, ThemeRow, build_digest, theme_counts
from cases.digest.render import render_docx, render_markdown
from cases.domain.states import State
from cases.domain.statistics import CaseFacts
from contracts.vocabulary import CaseKind, ReplyClass, Satisfaction

TODAY = date(2026, 6, 15)
START, END = date(2026, 4, 1), date(2026, 5, 31)
TITLE = "人大代表之声 2026年第3期"
COUNTY, EAST, STONE, ELSEWHERE = "990101", "990101001", "990101002", "990102001"
TRAFFIC, SCHOOL, LIVING = "交通", "教育", "民生"
TOWNS = {EAST: "东湖镇", STONE: "石桥镇", COUNTY: "青山县"}
UNITS = {"traffic": "县交通运输局", "edu": "县教育局"}  # "civil" has no name: shown as its id
A, B, C, D = ReplyClass.A, ReplyClass.B, ReplyClass.C, ReplyClass.D
OK, SO_SO, BAD = Satisfaction.satisfied, Satisfaction.basically_satisfied, Satisfaction.unsatisfied
SUGGESTION, OPINION = CaseKind.suggestion, CaseKind.opinion


def fact(
    case_id: str,
    received: date,
    township: str,
    category: str,
    state: State,
    *,
    kind: CaseKind = SUGGESTION,
    title: str = "",
    unit: str | None = None,
    due: date | None = date(2026, 5, 20),
    reply: ReplyClass | None = None,
    on_time: bool | None = None,
    solved: bool = False,
    result: Satisfaction | None = None,
    key_chase: bool = False,
) -> CaseFacts:
    """Return the facts of one case."""
    return CaseFacts(
        case_id=case_id,
        kind=kind,
        township=township,
        category=category,
        title=title or f"事项{case_id}",
        state=state,
        received_on=received,
        lead_unit_id=unit,
        unit_ids=(unit,) if unit else (),
        due_on=due if unit else None,
        replied_on=date(2026, 5, 15) if reply else None,
        reply_class=reply,
        on_time=on_time,
        solved=solved,
        result=result,
        key_chase=key_chase,
    )


FACTS = [
    fact(
        "c01",
        START,
        EAST,
        TRAFFIC,
        State.closed,
        unit="traffic",
        reply=A,
        on_time=True,
        solved=True,
        result=OK,
    ),  # first day of the period
    fact(
        "c02",
        date(2026, 4, 3),
        EAST,
        TRAFFIC,
        State.closed,
        unit="traffic",
        reply=D,
        on_time=True,
        result=SO_SO,
    ),  # closed, not solved
    fact(
        "c03",
        date(2026, 4, 8),
        EAST,
        TRAFFIC,
        State.follow_up,
        unit="traffic",
        reply=B,
        on_time=False,
        result=OK,
    ),
    fact(
        "c04",
        date(2026, 4, 10),
        EAST,
        SCHOOL,
        State.assigned,
        title="增设校车停靠点",
        unit="edu",
        due=date(2026, 6, 1),
        key_chase=True,
    ),  # 14 days overdue
    fact(
        "c05",
        date(2026, 4, 15),
        EAST,
        SCHOOL,
        State.replied,
        kind=OPINION,
        unit="edu",
        reply=C,
        on_time=True,
    ),
    fact(
        "c06",
        date(2026, 4, 20),
        EAST,
        LIVING,
        State.rehandling,
        title="养老服务站|经费",
        unit="civil",
        due=date(2026, 6, 10),
        reply=D,
        on_time=False,
        result=BAD,
    ),  # 5 days overdue in the second round
    fact(
        "c07",
        date(2026, 5, 6),
        STONE,
        TRAFFIC,
        State.assigned,
        kind=OPINION,
        unit="traffic",
        due=TODAY,
    ),  # due today: not overdue
    fact(
        "c08",
        date(2026, 4, 2),
        STONE,
        TRAFFIC,
        State.closed,
        unit="traffic",
        reply=A,
        on_time=False,
        solved=True,
        result=OK,
    ),
    fact(
        "c09",
        date(2026, 4, 9),
        STONE,
        SCHOOL,
        State.closed,
        unit="edu",
        reply=C,
        on_time=True,
        solved=True,
        result=SO_SO,
    ),
    fact("c10", date(2026, 5, 20), STONE, LIVING, State.received, kind=OPINION),
    fact("c11", date(2026, 5, 25), STONE, LIVING, State.not_accepted, kind=OPINION),
    fact(
        "c12",
        END,
        STONE,
        LIVING,
        State.follow_up,
        kind=OPINION,
        unit="civil",
        due=date(2026, 5, 1),
        reply=B,
        on_time=True,
        result=SO_SO,
    ),  # last day of the period
    # left out: before and after the period, and another county
    fact("x1", date(2026, 3, 31), EAST, TRAFFIC, State.assigned, unit="traffic"),
    fact("x2", date(2026, 6, 1), EAST, TRAFFIC, State.assigned, unit="traffic"),
    fact("x3", date(2026, 5, 1), ELSEWHERE, TRAFFIC, State.assigned, unit="traffic"),
]


def digest(scope: str = COUNTY, start: date = START, end: date = END) -> Digest:
    """Return the digest of ``scope`` for the period, as of ``TODAY``."""
    return build_digest(
        FACTS,
        digest_id="dg-2026-03",
        title=TITLE,
        scope=scope,
        period_start=start,
        period_end=end,
        today=TODAY,
    )


def test_the_period_and_scope_decide_what_is_counted() -> None:
    d = digest()
    assert (d.digest_id, d.title, d.scope, d.generated_on) == ("dg-2026-03", TITLE, COUNTY, TODAY)
    assert (d.period_start, d.period_end) == (START, END)
    assert d.case_count == 12  # both ends included; x1, x2 and x3 left out
    assert (d.suggestions, d.opinions) == (7, 5)
    assert [t.key for t in d.by_township] == [EAST, STONE]
    assert [t.key for t in d.by_category] == [TRAFFIC, SCHOOL, LIVING]
    assert digest(scope=EAST).case_count == 6  # a township code as scope
    assert digest(scope="990102").case_count == 1
    assert digest(start=date(2026, 4, 2), end=date(2026, 5, 30)).case_count == 10
    assert digest(start=END, end=END).case_count == 1


def test_the_digest_tallies() -> None:
    d = digest()
    t = d.totals
    assert (t.total, t.replied, t.on_time, t.solved, t.class_a) == (12, 8, 5, 3, 2)
    assert (t.with_feedback, t.satisfied, t.overdue) == (7, 6, 2)
    traffic, school, living = d.by_category
    assert (traffic.total, traffic.solved_rate, traffic.satisfaction_rate) == (5, 0.5, 1.0)
    assert (school.total, school.on_time_rate, school.overdue) == (3, 1.0, 1)
    assert (living.total, living.solved_rate, living.satisfaction_rate) == (4, 0.0, 0.5)
    east, stone = d.by_township
    assert (east.total, east.on_time_rate, east.solved_rate) == (6, 0.6, 0.2)
    assert (stone.total, stone.on_time_rate, stone.overdue) == (6, 0.6667, 0)


def test_themes_by_count_then_category_and_township() -> None:
    d = digest()
    assert d.themes == (
        ThemeRow(TRAFFIC, EAST, 3),
        ThemeRow(LIVING, STONE, 3),
        ThemeRow(TRAFFIC, STONE, 2),
        ThemeRow(SCHOOL, EAST, 2),
        ThemeRow(SCHOOL, STONE, 1),
        ThemeRow(LIVING, EAST, 1),
    )
    assert theme_counts(d)[:2] == [(TRAFFIC, EAST, 3), (LIVING, STONE, 3)]
    assert sum(n for _, _, n in theme_counts(d)) == d.case_count


def test_overdue_items_most_overdue_first_in_calendar_days() -> None:
    assert digest().overdue == (
        OverdueItem("c04", "增设校车停靠点", EAST, "edu", date(2026, 6, 1), 14, True),
        OverdueItem("c06", "养老服务站|经费", EAST, "civil", date(2026, 6, 10), 5, False),
    )  # c07 is due today; c05 and c12 are past due but replied or in follow-up


def test_an_empty_period() -> None:
    d = digest(start=date(2025, 1, 1), end=date(2025, 1, 31))
    assert (d.case_count, d.themes, d.overdue, d.by_category, d.by_township) == (0, (), (), (), ())
    assert d.totals.on_time_rate is None
    text = render_markdown(d)
    assert "**0** 件" in text
    assert "按时答复率 —" in text
    assert "本期无逾期未办结事项。" in text
    document = docx.Document(io.BytesIO(render_docx(d)))
    assert "本期无逾期未办结事项。" in [p.text for p in document.paragraphs]


def test_markdown_report() -> None:
    text = render_markdown(digest(), township_names=TOWNS, unit_names=UNITS)
    assert text.startswith(f"# {TITLE}\n")
    assert "青山县 · 2026-04-01 至 2026-05-31 · 2026-06-15 编印" in text
    assert "共收到代表建议和选民意见 **12** 件（代表建议 7 件，选民意见 5 件）" in text
    assert "按时答复率 62.5%，解决率 37.5%（A类占比 25.0%），满意率 85.7%" in text
    rows = set(text.splitlines())
    assert {
        "| 交通 | 5 | 4 | 50.0% | 50.0% | 100.0% | 0 |",
        "| 教育 | 3 | 2 | 100.0% | 50.0% | 100.0% | 1 |",
        "| 民生 | 4 | 2 | 50.0% | 0.0% | 50.0% | 1 |",
        "| 东湖镇 | 6 | 5 | 60.0% | 20.0% | 75.0% | 2 |",
        "| 石桥镇 | 6 | 3 | 66.7% | 66.7% | 100.0% | 0 |",
        "| 增设校车停靠点 | 东湖镇 | 县教育局 | 2026-06-01 | 14 | 是 |",
        "| 养老服务站\\|经费 | 东湖镇 | civil | 2026-06-10 | 5 |  |",
        "| 交通 | 东湖镇 | 3 |",
        "| 民生 | 石桥镇 | 3 |",
    } <= rows
    assert text.index("## 分类情况") < text.index("## 各镇街情况") < text.index("## 逾期未办结事项")


def test_markdown_falls_back_to_codes() -> None:
    rows = set(render_markdown(digest()).splitlines())
    assert "| 990101001 | 6 | 5 | 60.0% | 20.0% | 75.0% | 2 |" in rows
    assert "| 增设校车停靠点 | 990101001 | edu | 2026-06-01 | 14 | 是 |" in rows


def test_word_report() -> None:
    data = render_docx(digest(), township_names=TOWNS, unit_names=UNITS)
    document = docx.Document(io.BytesIO(data))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == TITLE
    assert any("按时答复率 62.5%" in p and "满意率 85.7%" in p for p in paragraphs)
    assert len(document.tables) == 4
    assert all(t.style is not None and t.style.name == "Table Grid" for t in document.tables)
    category, township, overdue, themes = (
        [[c.text for c in row.cells] for row in table.rows] for table in document.tables
    )
    assert category[0][:2] == ["类别", "件数"]
    assert category[1:] == [  # the last column: the deputies' voices (none given here)
        ["交通", "5", "4", "50.0%", "50.0%", "100.0%", "0", "—"],
        ["教育", "3", "2", "100.0%", "50.0%", "100.0%", "1", "—"],
        ["民生", "4", "2", "50.0%", "0.0%", "50.0%", "1", "—"],
    ]
    assert township[1] == ["东湖镇", "6", "5", "60.0%", "20.0%", "75.0%", "2"]
    assert overdue[1:] == [
        ["增设校车停靠点", "东湖镇", "县教育局", "2026-06-01", "14", "是"],
        ["养老服务站|经费", "东湖镇", "civil", "2026-06-10", "5", ""],
    ]
    assert themes[1] == ["交通", "东湖镇", "3"]
    assert len(themes) == 7


_FACT = st.builds(
    fact,
    case_id=st.text(min_size=1, max_size=6),
    received=st.dates(date(2026, 3, 1), date(2026, 6, 30)),
    township=st.sampled_from([EAST, STONE, ELSEWHERE]),
    category=st.sampled_from([TRAFFIC, SCHOOL, LIVING]),
    state=st.sampled_from(list(State)),
    kind=st.sampled_from(list(CaseKind)),
    unit=st.sampled_from(["traffic", "edu", None]),
    due=st.dates(TODAY - timedelta(days=40), TODAY + timedelta(days=40)),
)


@settings(max_examples=100, deadline=None)
@given(facts=st.lists(_FACT, max_size=25))
def test_every_view_of_a_digest_adds_up(facts: list[CaseFacts]) -> None:
    d = build_digest(
        facts,
        digest_id="p",
        title="t",
        scope=COUNTY,
        period_start=START,
        period_end=END,
        today=TODAY,
    )
    counted = [f for f in facts if f.township.startswith(COUNTY) and START <= f.received_on <= END]
    assert d.case_count == len(counted) == d.suggestions + d.opinions
    assert d.case_count == sum(r.count for r in d.themes)
    assert d.case_count == sum(t.total for t in d.by_category)
    assert d.case_count == sum(t.total for t in d.by_township)
    assert len(d.overdue) == d.totals.overdue
    days = [o.days_overdue for o in d.overdue]
    assert days == sorted(days, reverse=True)
    assert all(n >= 1 for n in days)
