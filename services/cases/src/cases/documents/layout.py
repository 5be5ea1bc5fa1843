"""Official-document layout after GB/T 9704-2012: A4, margins, fonts, page numbers "— 1 —"."""

from __future__ import annotations

import io
from collections.abc import Sequence

import docx
from docx.document import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run

BODY_FONT = "仿宋_GB2312"
"""Body text: 3号仿宋 (16 pt)."""
TITLE_FONT = "宋体"
"""Titles: 2号小标宋; 宋体 where 方正小标宋 is not installed (the standard's fallback)."""
HEADING_FONT = "黑体"
"""First-level headings inside the text: 3号黑体."""
PAGE_NUMBER_FONT = "宋体"
"""Page numbers: 4号半角宋体 between em dashes."""
BODY_SIZE = Pt(16)  # 三号
TITLE_SIZE = Pt(22)  # 二号
TABLE_SIZE = Pt(14)  # 四号, inside tables
WIDE_TABLE_SIZE = Pt(10.5)  # 五号, for tables of many columns
PAGE_NUMBER_SIZE = Pt(14)  # 四号
LINE_SPACING = Pt(28.95)  # 22 lines on the type area of 225 mm (GB/T 9704 §5.2.2)
PAGE = (Mm(210), Mm(297))
MARGINS = {"top": Mm(37), "bottom": Mm(35), "left": Mm(28), "right": Mm(26)}


def set_font(run: Run, name: str, size: Pt, *, bold: bool = False) -> None:
    """Give a run its font for Latin and East Asian text alike, with a size."""
    run.font.name = name
    run.font.size = size
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def _style_fonts(document: Document) -> None:
    normal = document.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = BODY_SIZE
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), BODY_FONT)
    spacing = normal.paragraph_format
    spacing.line_spacing = LINE_SPACING
    spacing.space_before = Pt(0)
    spacing.space_after = Pt(0)


def _page_field(paragraph: Paragraph) -> None:
    """Append a PAGE field (the page's number, filled in by the word processor)."""
    run = paragraph.add_run()
    set_font(run, PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
    begin, instruction, separate, end = (
        OxmlElement("w:fldChar"),
        OxmlElement("w:instrText"),
        OxmlElement("w:fldChar"),
        OxmlElement("w:fldChar"),
    )
    begin.set(qn("w:fldCharType"), "begin")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = " PAGE "
    separate.set(qn("w:fldCharType"), "separate")
    end.set(qn("w:fldCharType"), "end")
    shown = OxmlElement("w:t")
    shown.text = "1"
    for element in (begin, instruction, separate, shown, end):
        run._r.append(element)


def new_document() -> Document:
    """Return an empty A4 document with the standard's margins, fonts and page numbers."""
    document = docx.Document()
    for section in document.sections:
        section.page_width, section.page_height = PAGE
        section.top_margin = MARGINS["top"]
        section.bottom_margin = MARGINS["bottom"]
        section.left_margin = MARGINS["left"]
        section.right_margin = MARGINS["right"]
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_font(footer.add_run("— "), PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
        _page_field(footer)
        set_font(footer.add_run(" —"), PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
    _style_fonts(document)
    return document


def title(document: Document, text: str) -> Paragraph:
    """Add the document's title: centred, 2号小标宋 (宋体), bold."""
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_after = Pt(16)
    set_font(paragraph.add_run(text), TITLE_FONT, TITLE_SIZE, bold=True)
    return paragraph


def line(
    document: Document,
    text: str = "",
    *,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent: bool = False,
    font: str = BODY_FONT,
    size: Pt = BODY_SIZE,
    bold: bool = False,
) -> Paragraph:
    """Add a paragraph of body text (3号仿宋 unless told), first line indented two characters."""
    paragraph = document.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(size.pt * 2)
    set_font(paragraph.add_run(text), font, size, bold=bold)
    return paragraph


def heading(document: Document, text: str) -> Paragraph:
    """Add a first-level heading inside the text (3号黑体)."""
    return line(document, text, font=HEADING_FONT, indent=True)


def _cell_text(cell: object, text: str, *, bold: bool = False, size: Pt = TABLE_SIZE) -> None:
    paragraph = cell.paragraphs[0]  # type: ignore[attr-defined]
    paragraph.paragraph_format.line_spacing = 1.0
    paragraph.paragraph_format.space_before = Pt(3)
    paragraph.paragraph_format.space_after = Pt(3)
    set_font(paragraph.add_run(text), BODY_FONT, size, bold=bold)


def grid(
    document: Document,
    rows: Sequence[Sequence[str]],
    *,
    header: Sequence[str] = (),
    widths: Sequence[float] = (),
    size: Pt = TABLE_SIZE,
) -> Table:
    """Add a bordered table (4号仿宋 unless told), header row in bold; widths in millimetres."""
    cols = len(header) if header else max(len(r) for r in rows)
    table: Table = document.add_table(rows=0, cols=cols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, values in enumerate([header, *rows] if header else rows):
        cells = table.add_row().cells  # type: ignore[no-untyped-call]
        for j, value in enumerate(values):
            _cell_text(cells[j], value, bold=bool(header) and i == 0, size=size)
    if widths:
        table.autofit = False
    for j, width in enumerate(widths):
        table.columns[j].width = Mm(width)  # the grid, which LibreOffice and WPS follow
        for row in table.rows:
            row.cells[j].width = Mm(width)  # each cell, which Word follows
    return table


def signature(document: Document, issuer: str, on: str) -> None:
    """Add the issuer and the date, right-aligned, as the last lines."""
    line(document, issuer, align=WD_ALIGN_PARAGRAPH.RIGHT)
    line(document, on, align=WD_ALIGN_PARAGRAPH.RIGHT)


def to_bytes(document: Document) -> bytes:
    """Return the document as .docx bytes."""
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def chinese_date(day: object) -> str:
    """Return a date the way official documents write it: 2026年11月30日."""
    return f"{day.year}年{day.month}月{day.day}日"  # type: ignore[attr-defined]
