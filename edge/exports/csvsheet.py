"""Result sheets as CSV bytes (UTF-8 with a BOM, so that Excel reads accents right)."""

from __future__ import annotations

import csv
import io
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
    if words is None:
        return (BOM + to_csv(rows, columns)).encode("utf-8")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([words.heading(c) for c in columns])
    writer.writerows([["" if row.get(c) is None else row.get(c) for c in columns] for row in rows])
    return (BOM + out.getvalue()).encode("utf-8")
