"""Import a roster file: parse every row, report per row and column, write all, valid or none."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from openpyxl.utils import get_column_letter
from sqlalchemy import select

from deputies.domain.access import require_write
from deputies.domain.drafts import DeputyDraft
from deputies.domain.model import ElectedBy, Gender, Level
from deputies.handlers.context import Caller, Services
from deputies.handlers.deputies import RowErrors, register_deputies
from deputies.roster_io import columns as col
from deputies.roster_io.reading import Header, UnreadableFileError, find_header, is_blank, read_grid

Progress = Callable[[str, int, int], None]


@dataclass
class ImportReport:
    """What an import found and did, row by row and column by column."""

    mode: str
    rows_total: int = 0
    rows_blank: int = 0
    rows_valid: int = 0
    created: int = 0
    written: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    deputy_ids: list[str] = field(default_factory=list)

    def error(
        self,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        header: str | None = None,
        field_name: str | None = None,
    ) -> None:
        """Add an error naming the row and column it is about."""
        self.errors.append(
            {
                "row": row,
                "column": column,
                "header": header,
                "field": field_name,
                "message": message,
            }
        )


@dataclass(frozen=True)
class ImportRequest:
    """An uploaded roster for one township."""

    township: str
    content: bytes
    content_type: str = ""
    filename: str = ""
    all_or_nothing: bool = True
    term: int | None = None
    elected_on: date | None = None


_PARSERS: dict[str, Callable[[str], Any]] = {
    "gender": col.as_gender,
    "levels": col.as_levels,
    "term": col.as_term,
    "elected_by": col.as_elected_by,
    "phone": col.as_phone,
    "id_number": col.as_id_number,
}


def _map_columns(header: Header, report: ImportReport, req: ImportRequest) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, (label, name) in enumerate(zip(header.labels, header.fields, strict=True)):
        letter = get_column_letter(index + 1)
        if not label:
            continue
        if name is None:
            report.notes.append(
                {
                    "row": header.row,
                    "column": letter,
                    "message": f"column {label!r} is not a roster field; ignored",
                }
            )
        elif name in positions:
            report.notes.append(
                {
                    "row": header.row,
                    "column": letter,
                    "message": f"column {label!r} repeats {name}; ignored",
                }
            )
        else:
            positions[name] = index
            report.columns[label] = name
    defaults = {"term": req.term is not None}
    for column in col.COLUMNS:
        if column.required and column.field not in positions and not defaults.get(column.field):
            hint = (
                "; or give the term of every row with the `term` parameter, e.g. ?term=18"
                if column.field == "term"
                else ""
            )
            report.error(
                f"missing column {column.label} (also accepted: {', '.join(column.aliases[1:])})"
                + hint,
                row=header.row,
                header=column.label,
                field_name=column.field,
            )
    return positions


@dataclass
class ParsedRow:
    """One roster row: its number, its draft, and the fields whose cells could not be read."""

    number: int
    draft: DeputyDraft
    failed: set[str]


@dataclass
class ParsedFile:
    """The rows of a roster file and where each field's column is."""

    header: Header
    positions: dict[str, int]
    rows: list[ParsedRow]


#: Stand-ins for unreadable required cells, so the row's other fields are still checked.
_STAND_INS: dict[str, Any] = {
    "name": "?",
    "gender": Gender.female,
    "levels": frozenset({Level.county}),
}


def _parse_row(
    number: int,
    values: list[Any],
    positions: dict[str, int],
    labels: list[str],
    req: ImportRequest,
    stations: dict[str, str],
    report: ImportReport,
) -> ParsedRow:
    parsed: dict[str, Any] = {}
    failed: set[str] = set()
    for name, index in positions.items():
        raw = values[index] if index < len(values) else None
        letter = get_column_letter(index + 1)
        try:
            if name in {"birth_date", "elected_on"}:
                parsed[name] = None if col.as_text(raw) is None else col.as_date(raw)
                continue
            text = col.as_text(raw)
            if text is None:
                if col.BY_FIELD[name].required and not (name == "term" and req.term):
                    raise col.CellError("must not be empty")
                continue
            if name == "station":
                if text not in stations and text not in stations.values():
                    raise col.CellError(f"no station {text!r} in this township")
                parsed["station_id"] = stations.get(text, text)
                continue
            parsed[name] = _PARSERS.get(name, str)(text)
        except col.CellError as error:
            report.error(
                str(error), row=number, column=letter, header=labels[index], field_name=name
            )
            failed.add("station_id" if name == "station" else name)
    for name, stand_in in _STAND_INS.items():
        parsed.setdefault(name, stand_in)
    draft = DeputyDraft(
        township=req.township,
        name=parsed["name"],
        gender=parsed["gender"],
        levels=parsed["levels"],
        term=parsed.get("term") or req.term or 1,
        elected_on=parsed.get("elected_on") or req.elected_on,
        birth_date=parsed.get("birth_date"),
        ethnicity=parsed.get("ethnicity"),
        party=parsed.get("party"),
        occupation=parsed.get("occupation"),
        sector=parsed.get("sector"),
        electoral_district=parsed.get("electoral_district"),
        deputy_group=parsed.get("deputy_group"),
        station_id=parsed.get("station_id"),
        elected_by=parsed.get("elected_by", ElectedBy.general),
        phone=parsed.get("phone"),
        id_number=parsed.get("id_number"),
        address=parsed.get("address"),
    )
    return ParsedRow(number, draft, failed)


def parse_file(
    req: ImportRequest, stations: dict[str, str], report: ImportReport, tell: Progress
) -> ParsedFile | None:
    """Read and parse a roster file (CPU work: call it off the event loop); None if unreadable."""
    try:
        grid = read_grid(req.content, req.content_type, req.filename)
    except UnreadableFileError as error:
        report.error(str(error))
        return None
    report.notes.extend(grid.notes)
    header = find_header(grid)
    if header is None:
        report.error("no header row found in the first 10 rows (e.g. 姓名, 性别, 代表层级, 届次)")
        return None
    positions = _map_columns(header, report, req)
    if report.errors:
        return None
    body = [(n, v) for n, v in grid.rows if n > header.row]
    tell("read", len(body), len(body))
    rows: list[ParsedRow] = []
    for done, (number, values) in enumerate(body, start=1):
        if is_blank(values):
            report.rows_blank += 1
            continue
        report.rows_total += 1
        rows.append(_parse_row(number, values, positions, header.labels, req, stations, report))
        if done % 1000 == 0:
            tell("parse", done, len(body))
    tell("parse", len(body), len(body))
    return ParsedFile(header, positions, rows)


async def _station_names(svc: Services, township: str) -> dict[str, str]:
    s = svc.tables.stations
    async with svc.uow() as uow:
        rows = await uow.session.execute(select(s.c.name, s.c.id).where(s.c.township == township))
        return dict(rows.tuples().all())


def _report_checks(
    report: ImportReport, parsed: ParsedFile, rows: list[ParsedRow], errors: RowErrors
) -> None:
    for index, found in sorted(errors.items()):
        row = rows[index]
        for e in found:
            name = str(e.loc[0])
            if name in row.failed:
                continue  # the cell itself was reported already
            where = parsed.positions.get("station" if name == "station_id" else name)
            report.error(
                e.msg,
                row=row.number,
                column=get_column_letter(where + 1) if where is not None else None,
                header=parsed.header.labels[where] if where is not None else None,
                field_name=name,
            )


async def import_roster(
    svc: Services, caller: Caller, req: ImportRequest, *, progress: Progress | None = None
) -> ImportReport:
    """Import a roster file into a township: every valid row, or none when any row is wrong.

    Every error of every row is reported in one go: a cell that cannot be read, and whatever
    else is wrong with the row's other fields (checked against each other and the roster).
    """
    require_write(caller.viewer, req.township)
    report = ImportReport(mode="all_or_nothing" if req.all_or_nothing else "valid_rows")
    tell = progress or (lambda _stage, _done, _total: None)
    stations = await _station_names(svc, req.township)
    parsed = await asyncio.to_thread(parse_file, req, stations, report, tell)
    if parsed is None:
        return report
    rows = valid = parsed.rows
    if report.errors:  # some cells unreadable: check the rest of those rows too, write none
        checked = await register_deputies(
            svc, caller, [r.draft for r in rows], source="import", write=False
        )
        _report_checks(report, parsed, rows, checked.errors)
        valid = [r for i, r in enumerate(rows) if not r.failed and i not in checked.errors]
        report.rows_valid = len(valid)
        if not valid or req.all_or_nothing:
            report.errors.sort(key=lambda e: (e["row"] or 0, e["column"] or ""))
            return report
    result = await register_deputies(
        svc, caller, [r.draft for r in valid], all_or_nothing=req.all_or_nothing, source="import"
    )
    _report_checks(report, parsed, valid, result.errors)  # rows taken meanwhile
    report.errors.sort(key=lambda e: (e["row"] or 0, e["column"] or ""))
    report.rows_valid = len(valid) - len(result.errors)
    report.created = len(result.created)
    report.written = bool(result.created)
    report.deputy_ids = [d.id for d in result.created]
    tell("write", report.created, len(valid))
    return report
