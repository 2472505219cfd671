"""Result sheets as CSV bytes (UTF-8 with a BOM, so that Excel reads accents right)."""

from __future__ import annotations

from collections.abc import Sequence

from edge.exports.tables import Table, flat_rows
from edge.exports.words import SheetWords
from edge.timing.export import to_csv

BOM = "\ufeff"


def csv_bytes(tables: Sequence[Table], words: SheetWords | None = None) -> bytes:
    """One CSV of every table's rows, headed in ``words``.

    Without words the header is the machine column names of the API's CSV, which
    scripts read; with them it is the headings people read in that language.
    """
    columns, rows = flat_rows(tables)
    headings = None if words is None else [words.heading(c) for c in columns]
    return (BOM + to_csv(rows, columns, headings)).encode("utf-8")
