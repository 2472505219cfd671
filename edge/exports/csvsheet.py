"""Result sheets as CSV bytes (UTF-8 with a BOM, so that Excel reads accents right)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from edge.exports.tables import Table, flat_rows
from edge.exports.words import SheetWords
from edge.timing.export import sheet_cells, spreadsheet_cell, to_csv
from edge.timing.model import EntrantResult, RaceSpec

BOM = "\ufeff"


def csv_bytes(tables: Sequence[Table], words: SheetWords | None = None) -> bytes:
    """One CSV of every table's rows, headed in ``words``.

    Without words the header is the machine column names of the API's CSV, which
    scripts read; with them it is the headings people read in that language.
    """
    columns, rows = flat_rows(tables)
    headings = None if words is None else [words.heading(c) for c in columns]
    return (BOM + to_csv(rows, columns, headings)).encode("utf-8")


def results_csv_bytes(
    results: Iterable[EntrantResult], spec: RaceSpec, header: Sequence[str], last: str
) -> bytes:
    """The CSV ``csv_bytes`` makes of results' tables whose rows all end with ``last``,
    written straight from the results: a 20,000-row sheet in a fraction of the time.

    ``header`` names every column: ``result_columns(spec)``'s, then ``last``'s.
    """
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    end = (spreadsheet_cell(last),)
    writer.writerows(cells + end for cells in sheet_cells(results, spec))
    return out.getvalue().encode("utf-8")
