"""Result sheets as CSV bytes (UTF-8 with a BOM, so that Excel reads accents right)."""

from __future__ import annotations

from collections.abc import Sequence

from edge.exports.tables import Table, flat_rows
from edge.timing.export import to_csv

BOM = "\ufeff"


def csv_bytes(tables: Sequence[Table]) -> bytes:
    """One CSV of every table's rows under the machine column names of the API's CSV."""
    columns, rows = flat_rows(tables)
    return (BOM + to_csv(rows, columns)).encode("utf-8")
