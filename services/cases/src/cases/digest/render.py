"""Render a digest as Markdown (Jinja2) and as a Word document (python-docx)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import jinja2
from docx.enum.text import WD_ALIGN_PARAGRAPH

from cases.digest.model import Digest
from cases.digest.voices import Voice
from cases.documents import layout
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


def _voices_of(voices: Sequence[Voice], category: str) -> str:
    quoted = [v for v in voices if v.category == category]
    return "\n".join(f"“{v.excerpt}”（{v.number or v.township}）" for v in quoted) or "—"


def render_docx(
    digest: Digest,
    *,
    township_names: Mapping[str, str] = _NO_NAMES,
    unit_names: Mapping[str, str] = _NO_NAMES,
    voices: Sequence[Voice] = (),
    issuer: str = "",
) -> bytes:
    """Return the digest as a .docx laid out for print (GB/T 9704), voices beside the counts."""
    township, unit = _namer(township_names), _namer(unit_names)
    d = digest
    document = layout.new_document()
    layout.title(document, d.title)
    scope = township_names.get(d.scope, issuer or d.scope)
    layout.line(
        document,
        f"{scope} · {layout.chinese_date(d.period_start)}至{layout.chinese_date(d.period_end)}",
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    layout.heading(document, "一、总体情况")
    t = d.totals
    layout.line(
        document,
        f"本期共收到代表建议和选民意见 {d.case_count} 件（代表建议 {d.suggestions} 件，"
        f"选民意见 {d.opinions} 件）；已答复 {t.replied} 件，按时答复率 {pct(t.on_time_rate)}，"
        f"解决率 {pct(t.solved_rate)}（A类占比 {pct(t.class_a_share)}），"
        f"满意率 {pct(t.satisfaction_rate)}；超期未办结 {t.overdue} 件。",
        indent=True,
    )
    header = ["类别", "件数", "已答复", "按时答复率", "解决率", "满意率", "超期"]
    layout.heading(document, "二、分类情况和代表之声")
    layout.grid(
        document,
        [
            [*row, _voices_of(voices, t.key)]
            for t, row in zip(d.by_category, _tally_rows(d.by_category, str), strict=True)
        ],
        header=[*header, "代表之声（摘录）"],
        widths=(16, 11, 12, 17, 17, 17, 11, 55),
        size=layout.WIDE_TABLE_SIZE,
    )
    layout.heading(document, "三、各镇街情况")
    layout.grid(
        document,
        _tally_rows(d.by_township, township),
        header=["镇街", *header[1:]],
        size=layout.WIDE_TABLE_SIZE,
    )
    layout.heading(document, "四、逾期未办结事项")
    if d.overdue:
        layout.grid(
            document,
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
            header=["事项", "镇街", "主办单位", "答复期限", "逾期天数", "重点督办"],
            size=layout.WIDE_TABLE_SIZE,
        )
    else:
        layout.line(document, "本期无逾期未办结事项。", indent=True)
    layout.heading(document, "五、热点问题（按类别和镇街）")
    layout.grid(
        document,
        [[r.category, township(r.township), str(r.count)] for r in d.themes],
        header=["类别", "镇街", "件数"],
    )
    layout.signature(
        document,
        f"{issuer}人大常委会" if issuer else "人大常委会",
        layout.chinese_date(d.generated_on),
    )
    return layout.to_bytes(document)
