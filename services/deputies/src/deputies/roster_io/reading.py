"""Read a roster file (CSV or XLSX) into a grid: header row, data rows, merged-cell notes."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries

from deputies.roster_io.columns import as_text, field_for
from deputies.roster_io.sheetxml import read_sheet

HEADER_SEARCH_ROWS = 10
XLSX_TYPES = ("spreadsheetml", "xlsx", "excel")


class UnreadableFileError(ValueError):
    """The file is neither a CSV nor an XLSX roster we can read."""


@dataclass
class Grid:
    """The cells of a sheet (row numbers as the user sees them), merged cells filled in."""

    rows: list[tuple[int, list[Any]]]
    notes: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Header:
    """Where the header row is and which field each column holds."""

    row: int
    labels: list[str]
    fields: list[str | None]


def read_grid(content: bytes, content_type: str, filename: str = "") -> Grid:
    """Read the first sheet of an XLSX or a CSV (UTF-8 or GB18030) into a grid."""
    is_xlsx = content[:2] == b"PK" or any(t in content_type for t in XLSX_TYPES)
    if filename.lower().endswith(".csv") or "csv" in content_type:
        is_xlsx = content[:2] == b"PK"
    return _read_xlsx(content) if is_xlsx else _read_csv(content)


def _read_csv(content: bytes) -> Grid:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFileError("the CSV is neither UTF-8 nor GB18030 text")
    reader = csv.reader(io.StringIO(text))
    return Grid([(number, list(row)) for number, row in enumerate(reader, start=1)])


def _read_xlsx(content: bytes) -> Grid:
    try:
        rows, merged = read_sheet(content)
    except Exception:  # an unusual file: let openpyxl have a go (slower, more forgiving)
        rows, merged = read_with_openpyxl(content), None
    grid = Grid(rows)
    # A blank row stays blank even where a merged range runs across it.
    blank = {n for n, values in rows if is_blank(values)}
    for ref in merged if merged is not None else _merged_ranges(content):
        _fill_merged(grid, ref, blank)
    return grid


def read_with_openpyxl(content: bytes) -> list[tuple[int, list[Any]]]:
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise UnreadableFileError(f"not a readable XLSX file: {error}") from None
    try:
        sheet = book.worksheets[0]
        return [(n, list(values)) for n, values in enumerate(sheet.iter_rows(values_only=True), 1)]
    finally:
        book.close()


def _merged_ranges(content: bytes) -> list[str]:
    """Return the merged ranges of the first sheet (read-only openpyxl does not expose them)."""
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    }
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314
        first = workbook.find("m:sheets/m:sheet", ns)
        if first is None:
            return []
        rel_id = first.get(f"{{{ns['r']}}}id")
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
        target = next(
            (
                r.get("Target", "")
                for r in rels.findall("rel:Relationship", ns)
                if r.get("Id") == rel_id
            ),
            "worksheets/sheet1.xml",
        )
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        sheet_xml = archive.read(path).decode("utf-8", errors="replace")
    return re.findall(r'<mergeCell[^>]*\sref="([A-Z]+\d+:[A-Z]+\d+)"', sheet_xml)


def _fill_merged(grid: Grid, ref: str, blank: set[int]) -> None:
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    by_number = dict(grid.rows)
    top = by_number.get(min_row)
    if top is None:
        return
    value = top[min_col - 1] if min_col - 1 < len(top) else None
    for number in range(min_row, max_row + 1):
        values = by_number.get(number)
        if values is None or number in blank:
            continue
        values.extend([None] * (max_col - len(values)))
        for col in range(min_col, max_col + 1):
            values[col - 1] = value
    grid.notes.append(
        {
            "rows": [min_row, max_row],
            "columns": [get_column_letter(min_col), get_column_letter(max_col)],
            "message": "merged cells: the value of the first cell is used for every cell",
        }
    )


def find_header(grid: Grid) -> Header | None:
    """Return the first row (of the top ten) in which two or more headers name known fields."""
    for number, values in grid.rows[:HEADER_SEARCH_ROWS]:
        labels = [as_text(v) or "" for v in values]
        fields = [field_for(label) if label else None for label in labels]
        if sum(1 for f in fields if f) >= 2:
            return Header(number, labels, fields)
    return None


def is_blank(values: list[Any]) -> bool:
    """Tell whether a row has no content at all."""
    return all(as_text(v) is None for v in values)
