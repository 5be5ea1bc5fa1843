"""Render a digest as Markdown (Jinja2) and as a Word document (python-docx)."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import docx
import jinja2

from cases.digest.model import Digest
from cases.domain.statistics import Tally

TEMPLATES = Path(__file__).parent / "templates"
_NO_NAMES: Mapping[str, str] = {}


def pct(rate: float | None) -> str:
    """Return a rate as a percentage with one decimal, or a dash when it has no base."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def cell(value: object) -> str:
    """Return a value safe inside a Markdown table cell."""
    return str(value).replace("|", "\\|").replace("\n", " ")


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=False,  # noqa: S701 - Markdown, not HTML; table cells are escaped by `cell`
        trim_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["pct"] = pct
    env.filters["cell"] = cell
    return env


def _namer(names: Mapping[str, str]) -> Callable[[str | None], str]:
    def name(code: str | None) -> str:
        return "" if code is None else names.get(code, code)

    return name


def render_markdown(
    digest: Digest,
    *,
    township_names: Mapping[str, str] = _NO_NAMES,
    unit_names: Mapping[str, str] = _NO_NAMES,
) -> str:
    """Return the digest as a Markdown document."""
    template = _environment().get_template("digest.md.j2")
    return template.render(
        d=digest,
        scope_name=township_names.get(digest.scope, digest.scope),
        township=_namer(township_names),
        unit=_namer(unit_names),
    )


def _table(document: object, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = document.add_table(rows=1, cols=len(header))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for i, title in enumerate(header):
        table.rows[0].cells[i].text = title
    for row in rows:
        cells = table.add_row().cells
        for i, value in enumerate(row):
            cells[i].text = value


def _tally_rows(tallies: Sequence[Tally], name: Callable[[str | None], str]) -> list[list[str]]:
    return [
        [
            name(t.key),
            str(t.total),
            str(t.replied),
            pct(t.on_time_rate),
            pct(t.solved_rate),
            pct(t.satisfaction_rate),
            str(t.overdue),
        ]
        for t in tallies
    ]


def render_docx(
    digest: Digest,
    *,
    township_names: Mapping[str, str] = _NO_NAMES,
    unit_names: Mapping[str, str] = _NO_NAMES,
) -> bytes:
    """Return the digest as a .docx document."""
    township, unit = _namer(township_names), _namer(unit_names)
    same: Callable[[str | None], str] = _namer(_NO_NAMES)
    d = digest
    document = docx.Document()
    document.add_heading(d.title, level=0)
    document.add_paragraph(
        f"{township_names.get(d.scope, d.scope)} · {d.period_start.isoformat()} 至 "
        f"{d.period_end.isoformat()} · {d.generated_on.isoformat()} 编印"
    )
    document.add_heading("总体情况", level=1)
    t = d.totals
    document.add_paragraph(
        f"本期共收到代表建议和选民意见 {d.case_count} 件（代表建议 {d.suggestions} 件，"
        f"选民意见 {d.opinions} 件）；已答复 {t.replied} 件，按时答复率 {pct(t.on_time_rate)}，"
        f"解决率 {pct(t.solved_rate)}（A类占比 {pct(t.class_a_share)}），"
        f"满意率 {pct(t.satisfaction_rate)}；超期未办结 {t.overdue} 件。"
    )
    header = ["类别", "件数", "已答复", "按时答复率", "解决率", "满意率", "超期"]
    document.add_heading("分类情况", level=1)
    _table(document, header, _tally_rows(d.by_category, same))
    document.add_heading("各镇街情况", level=1)
    _table(document, ["镇街", *header[1:]], _tally_rows(d.by_township, township))
    document.add_heading("逾期未办结事项", level=1)
    if d.overdue:
        _table(
            document,
            ["事项", "镇街", "主办单位", "答复期限", "逾期天数", "重点督办"],
            [
                [
                    o.title,
                    township(o.township),
                    unit(o.lead_unit_id),
                    o.due_on.isoformat(),
                    str(o.days_overdue),
                    "是" if o.key_chase else "",
                ]
                for o in d.overdue
            ],
        )
    else:
        document.add_paragraph("本期无逾期未办结事项。")
    document.add_heading("热点问题（按类别和镇街）", level=1)
    _table(
        document,
        ["类别", "镇街", "件数"],
        [[r.category, township(r.township), str(r.count)] for r in d.themes],
    )
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
