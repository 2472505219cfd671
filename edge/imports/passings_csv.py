"""Passing files (``point,bib,time``) from a backup timer or another system."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from edge.domain.clock import parse_instant
from edge.errors import InvalidInput, Problem
from edge.imports.csvfile import (
    bib_problem,
    cell_values,
    extra_cells,
    normalise_bib,
    quoted_headers,
    read_csv_table,
)
from edge.imports.headers import map_headers, normalise_header

# normalise_bib is re-exported: services normalise typed-in bibs exactly as files' bibs.
__all__ = ["PassingRow", "PassingsFile", "normalise_bib", "parse_passings_csv"]

ALIASES = {
    normalise_header(alias): field
    for field, names in {
        "point": ["point", "poste", "timing point", "point de passage"],
        "bib": ["bib", "dossard"],
        "time": ["time", "heure", "timestamp"],
    }.items()
    for alias in names
}


@dataclass(frozen=True)
class PassingRow:
    """One valid passing of the file."""

    line: int
    point: str
    bib: str
    time_us: int


@dataclass(frozen=True)
class PassingsFile:
    """A parsed passings file: valid rows (exact duplicates kept once) and every problem."""

    rows: list[PassingRow]
    problems: list[Problem]
    encoding: str
    delimiter: str


def parse_passings_csv(data: bytes, points: Collection[str]) -> PassingsFile:
    """Parse a ``point,bib,time`` file; times are ISO 8601 with an offset."""
    table = read_csv_table(data)
    columns, _ignored, problems = map_headers(table.headers, ALIASES, table.header_line)
    missing = [f for f in ("point", "bib", "time") if f not in columns]
    if missing:
        reason = f"missing column(s): {', '.join(missing)}"
        problems.append(Problem("header", reason, table.header_line))
    if problems:
        found = quoted_headers(table)
        reason = (
            f"the passings file's header cannot be used (line {table.header_line} reads {found})"
        )
        raise InvalidInput(problems, reason)
    canonical = {code.casefold(): code for code in points}
    known = ", ".join(points) or "none"
    rows: list[PassingRow] = []
    seen: set[tuple[str, str, int]] = set()
    for line, cells in table.rows:
        values = cell_values(columns, cells)
        bib = normalise_bib(values["bib"])
        where = f"bib {bib}" if bib else "bib"
        reasons: list[str] = []
        overflow = extra_cells(cells, table.headers, table.delimiter)
        if overflow:
            problems.append(Problem(where, overflow, line))
            continue
        point = canonical.get(values["point"].casefold())
        if not values["point"]:
            reasons.append("the point is empty")
        elif point is None:
            reasons.append(f"unknown point {values['point']!r} (points: {known})")
        bib_fault = bib_problem(bib)
        if bib_fault:
            reasons.append(bib_fault)
        time_us: int | None = None
        if not values["time"]:
            reasons.append("the time is empty")
        else:
            try:
                time_us = parse_instant(values["time"])
            except ValueError as error:
                # parse_instant says what is wrong, e.g. "... has no timezone offset".
                reasons.append(str(error))
        problems.extend(Problem(where, reason, line) for reason in reasons)
        if reasons or point is None or time_us is None:
            continue
        # A file exported twice and concatenated must not double the passings.
        if (point, bib, time_us) not in seen:
            seen.add((point, bib, time_us))
            rows.append(PassingRow(line=line, point=point, bib=bib, time_us=time_us))
    return PassingsFile(
        rows=rows, problems=problems, encoding=table.encoding, delimiter=table.delimiter
    )
