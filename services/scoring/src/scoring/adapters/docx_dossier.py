"""The 履职档案 as a Word document (python-docx): A4, 仿宋/黑体 fonts, one table per section."""

from __future__ import annotations

from io import BytesIO

from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.styles.style import ParagraphStyle

from scoring.domain.dossier import Attended, Dossier

BODY_FONT = "FangSong"  # 仿宋: the body face of official documents (GB/T 9704)
HEADING_FONT = "SimHei"  # 黑体: headings
BODY_SIZE = Pt(12)


def _font(style: ParagraphStyle, name: str, size: Pt) -> None:
    style.font.name = name
    style.font.size = size
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def _table(doc: DocumentObject, header: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text


def _attended(doc: DocumentObject, title: str, lines: tuple[Attended, ...]) -> None:
    doc.add_heading(title, level=2)
    _table(
        doc,
        ["日期 Date", "活动 Activity", "类型 Type", "出席 Attendance", "积分 Points"],
        [[a.on.isoformat(), a.activity_id, a.activity_type, a.state, str(a.points)] for a in lines]
        or [["—", "—", "—", "—", "0"]],
    )


def render(d: Dossier) -> bytes:
    """Return the dossier as a .docx file's bytes."""
    doc = Document()
    for section in doc.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin = section.bottom_margin = Mm(25)
        section.left_margin = section.right_margin = Mm(26)
    _font(doc.styles["Normal"], BODY_FONT, BODY_SIZE)
    for level, size in ((0, Pt(18)), (1, Pt(15)), (2, Pt(13))):
        _font(doc.styles["Title" if level == 0 else f"Heading {level}"], HEADING_FONT, size)
    doc.add_heading(f"人大代表履职档案 {d.year}", level=0)
    doc.add_paragraph(
        f"代表 Deputy: {d.deputy_id}    镇街 Township: {d.township}    "
        f"积分规则 Rule set: v{d.rule_set_version}"
    )
    doc.add_heading("一、积分与等次 Points and grade", level=1)
    _table(
        doc,
        ["基础分 Base", "总分 Total", "等次 Grade (proposed)"],
        [[str(d.base), str(d.total), d.grade]],
    )
    for reason in d.grade_reasons:
        doc.add_paragraph(reason)
    _table(
        doc,
        ["最低要求 Minimum", "达到 Met"],
        [[label, "是 yes" if met else "否 no"] for label, met in d.minimums] or [["—", "—"]],
    )
    doc.add_heading("二、履职活动 Activities", level=1)
    _attended(doc, "活动 Activities", d.activities)
    _attended(doc, "接待选民日 Reception days", d.reception_days)
    _attended(doc, "培训 Training", d.training)
    doc.add_heading("三、建议及办理结果 Suggestions and outcomes", level=1)
    _table(
        doc,
        [
            "建议 Case",
            "角色 Role",
            "提出 Filed",
            "答复 Reply",
            "重点督办",
            "办结 Closed",
            "评价 Feedback",
        ],
        [
            [
                s.case_id,
                "领衔 lead" if s.role == "lead" else "附议 co-signer",
                s.filed_on.isoformat(),
                s.reply_class or "—",
                "是" if s.key_chase else "否",
                ("已解决 solved" if s.solved else "已办结 closed") if s.closed else "办理中",
                s.feedback or "—",
            ]
            for s in d.suggestions
        ]
        or [["—"] * 7],
    )
    doc.add_heading("四、积分明细 Points by item", level=1)
    _table(
        doc,
        ["项目 Item", "条数 Lines", "积分 Points"],
        [[i.rule_id, str(i.lines), str(i.points)] for i in d.items] or [["—", "0", "0"]],
    )
    doc.add_paragraph(
        "等次及其后果（评优、推荐连任、约谈）仅为建议，由人作出决定（个人信息保护法第二十四条）。"
        " Grades and their consequences are proposals for a person to decide (PIPL Art. 24)."
    )
    out = BytesIO()
    doc.save(out)
    return out.getvalue()
