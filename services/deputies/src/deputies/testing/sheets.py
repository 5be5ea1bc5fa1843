"""Build roster files for tests: XLSX (with title rows, merges, blanks) and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from faker import Faker
from openpyxl import Workbook

from deputies.testing.people import resident_id

HEADER = ("姓名", "性别", "代表层级", "届次", "出生年月", "手机号码", "公民身份号码", "代表小组")


def xlsx(
    rows: Sequence[Sequence[object]],
    *,
    header: Sequence[str] = HEADER,
    title: str | None = None,
    merges: Sequence[str] = (),
) -> bytes:
    """Return an XLSX with an optional merged title row, a header row and the rows."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    for ref in merges:
        sheet.merge_cells(ref)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(
    rows: Sequence[Sequence[object]], *, header: Sequence[str] = HEADER, encoding: str = "utf-8-sig"
) -> bytes:
    """Return a CSV in an encoding (UTF-8 with BOM as Excel writes it, or GB18030)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def roster_rows(count: int, *, seed: int = 1, term: int = 18) -> list[tuple[object, ...]]:
    """Return ``count`` valid roster rows (HEADER order) with unique, checksum-valid ID numbers."""
    Faker.seed(seed)
    fake = Faker("zh_CN")
    rows: list[tuple[object, ...]] = []
    seen: set[str] = set()
    while len(rows) < count:
        female = len(rows) % 3 == 0
        id_number = resident_id(fake, female=female)
        if id_number in seen:
            continue
        seen.add(id_number)
        rows.append(
            (
                fake.name_female() if female else fake.name_male(),
                "女" if female else "男",
                "县级、镇级" if len(rows) % 7 == 0 else "镇级",
                term,
                f"{1960 + len(rows) % 35}-{1 + len(rows) % 12:02d}",
                fake.phone_number(),
                id_number,
                f"第{len(rows) // 10 + 1}代表小组",
            )
        )
    return rows
