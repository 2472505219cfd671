"""Printing rows as CSV or JSON on standard output."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from edge.timing.export import to_csv, to_records


def print_rows(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], fmt: str) -> None:
    """Print rows as CSV (empty cell for None) or as a JSON array of objects."""
    if fmt == "json":
        print_json(to_records(rows, columns))
    else:
        sys.stdout.write(to_csv(rows, columns))


def print_json(value: Any) -> None:
    """Print one JSON document."""
    json.dump(value, sys.stdout, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write("\n")
