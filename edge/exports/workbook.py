"""Result sheets as an Excel workbook (openpyxl): one worksheet per table."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell as _Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from edge.exports.tables import Table
from edge.exports.words import ENGLISH, SheetWords
from edge.timing.export import Cell, spreadsheet_cell

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_BOLD = Font(bold=True)


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
    """A workbook whose sheets each start with a header row in ``words``, then one row each.

    Written in openpyxl's write-only mode, row after row: the default mode looked up
    the sheet's last row for every row written, which made 20,000 rows take minutes.
    """
    book = Workbook(write_only=True)
    taken: set[str] = set()
    for table in tables or [Table(words.results, (), [])]:
        sheet = book.create_sheet(_sheet_title(table.title, taken))
        # Widths and the frozen header must be set before the first row is written.
        for index, column in enumerate(table.columns, start=1):
            longest = max(
                [len(words.heading(column)), *(len(str(r.get(column) or "")) for r in table.rows)]
            )
            sheet.column_dimensions[get_column_letter(index)].width = min(60, longest + 2)
        sheet.freeze_panes = "A2"
        sheet.append([_cell(sheet, words.heading(c), bold=True) for c in table.columns])
        for row in table.rows:
            sheet.append([_cell(sheet, spreadsheet_cell(row.get(c))) for c in table.columns])
    book.properties.title = heading
    book.properties.language = words.language
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(sheet: WriteOnlyWorksheet, value: Cell, *, bold: bool = False) -> _Cell:
    """A cell whose text stays text: openpyxl would store "=..." as a formula for Excel to run."""
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if bold:
        cell.font = _BOLD
    return cell
