"""The sign-in sheet (签到表) of a planned activity as a Word document: A4, 仿宋/黑体, page numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph

from kit.clock import CHINA

BODY_FONT = "FangSong"  # 仿宋: the body face of official documents (GB/T 9704)
HEADING_FONT = "SimHei"  # 黑体: the title
BODY_SIZE = Pt(14)  # 四号
TITLE_SIZE = Pt(22)  # 二号
HEADER = ("序号", "姓名", "所属镇街", "签名", "备注")
WIDTHS = (Mm(14), Mm(30), Mm(36), Mm(50), Mm(26))  # 156 mm: the type area of A4 (GB/T 9704)
ROW_HEIGHT = Mm(11)  # room for a handwritten signature
TITLE_STYLE = "签到表标题"
#: Blank rows below the names, for deputies or guests not on the list.
SPARE_ROWS = 3


@dataclass(frozen=True)
class SheetActivity:
    """What the sheet prints about the activity and who is expected."""

    county: str
    township: str
    title: str
    type_label: str
    starts_at: datetime
    ends_at: datetime
    place: str
    names: tuple[tuple[str, str], ...]  # (name, township name), in order


def _font(style: ParagraphStyle, name: str, size: Pt) -> None:
    style.font.name = name
    style.font.size = size
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _page_number(paragraph: Paragraph) -> None:
    """Append "第 N 页" with a PAGE field Word fills in."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("第 ")
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), ("end", None)):
        if kind is None:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
    paragraph.add_run(" 页")


def _when(a: SheetActivity) -> str:
    start, end = a.starts_at.astimezone(CHINA), a.ends_at.astimezone(CHINA)
    day = f"{start.year}年{start.month}月{start.day}日"
    if start.date() == end.date():
        return f"{day} {start:%H:%M}—{end:%H:%M}"
    return f"{day} {start:%H:%M} 至 {end.year}年{end.month}月{end.day}日 {end:%H:%M}"


def render(a: SheetActivity) -> bytes:
    """Return the sign-in sheet as a .docx file's bytes."""
    doc = Document()
    for section in doc.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        _page_number(section.footer.paragraphs[0])
    _font(doc.styles["Normal"], BODY_FONT, BODY_SIZE)
    style = doc.styles.add_style(TITLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    assert isinstance(style, ParagraphStyle)
    style.base_style = doc.styles["Normal"]
    _font(style, HEADING_FONT, TITLE_SIZE)
    style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    style.paragraph_format.space_after = Pt(12)
    doc.add_paragraph(f"{a.county}{a.township}{a.title}签到表", style=TITLE_STYLE)
    doc.add_paragraph(f"活动类型：{a.type_label}")
    doc.add_paragraph(f"时间：{_when(a)}")
    doc.add_paragraph(f"地点：{a.place}")
    table = doc.add_table(rows=1, cols=len(HEADER))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for cell, text in zip(table.rows[0].cells, HEADER, strict=True):
        cell.text = text
    for n, (name, township) in enumerate(a.names, start=1):
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = str(n), name, township
    for _ in range(SPARE_ROWS):
        table.add_row()
    for column, width in zip(table.columns, WIDTHS, strict=True):
        column.width = width  # the grid LibreOffice reads; cells carry it for Word
    for row in table.rows:
        row.height, row.height_rule = ROW_HEIGHT, WD_ROW_HEIGHT_RULE.AT_LEAST
        for cell, width in zip(row.cells, WIDTHS, strict=True):
            cell.width = width
    header = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")  # the header row again on every page
    repeat.set(qn("w:val"), "true")
    header.append(repeat)
    doc.add_paragraph(f"应到 {len(a.names)} 人    实到 ____ 人    请假 ____ 人")
    out = BytesIO()
    doc.save(out)
    return out.getvalue()
