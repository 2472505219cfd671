"""Result sheets as an Excel workbook (openpyxl): one worksheet per table."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from edge.exports.tables import Table
from edge.exports.words import ENGLISH, SheetWords
from edge.timing.export import spreadsheet_cell

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(title: str, taken: set[str]) -> str:
    # Excel limits names to 31 characters without []:*?/\ and unique per workbook.
    base = _SHEET_FORBIDDEN.sub("-", title)[:31] or "Sheet"
    name, n = base, 2
    while name.casefold() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.casefold())
    return name


def xlsx_bytes(tables: Sequence[Table], heading: str, words: SheetWords = ENGLISH) -> bytes:
    """A workbook whose sheets each start with a header row in ``words``, then one row each."""
    book = Workbook()
    if book.active is not None:  # a new workbook starts with an empty sheet
        book.remove(book.active)
    taken: set[str] = set()
    for table in tables or [Table(words.results, (), [])]:
        sheet = book.create_sheet(_sheet_title(table.title, taken))
        sheet.append([words.heading(c) for c in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            # Text is text: openpyxl would store "=..." as a formula for Excel to run.
            sheet.append([spreadsheet_cell(row.get(c)) for c in table.columns])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        sheet.freeze_panes = "A2"
        for index, column in enumerate(table.columns, start=1):
            cells = [len(str(r.get(column) or "")) for r in table.rows]
            longest = max([len(words.heading(column)), *cells])
            sheet.column_dimensions[get_column_letter(index)].width = min(60, longest + 2)
    book.properties.title = heading
    book.properties.language = words.language
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
