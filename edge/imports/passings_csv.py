"""Passing files (``point,bib,time``) from a backup timer or another system."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from edge.domain.clock import parse_instant
from edge.errors import InvalidInput, Problem
from edge.imports.csvfile import map_headers, normalise_bib, normalise_header, read_csv_table

__all__ = ["PassingRow", "PassingsFile", "normalise_bib", "parse_passings_csv"]

ALIASES = {
    normalise_header(alias): field
    for field, names in {
        "point": ["point", "poste", "timing point", "point de passage"],
        "bib": ["bib", "dossard"],
        "time": ["time", "heure", "instant", "timestamp"],
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
    columns, _ignored, problems = map_headers(table.headers, ALIASES)
    missing = [f for f in ("point", "bib", "time") if f not in columns]
    if missing:
        problems.append(Problem("header", f"missing column(s): {', '.join(missing)}", 1))
    if problems:
        raise InvalidInput(problems, "the passings file's header cannot be used")
    canonical = {code.casefold(): code for code in points}
    rows: list[PassingRow] = []
    seen: set[tuple[str, str, int]] = set()
    for line, cells in table.rows:
        values = {f: cells[i].strip() if i < len(cells) else "" for f, i in columns.items()}
        bib = normalise_bib(values["bib"])
        where = f"bib {bib}" if bib else "bib"
        found: list[Problem] = []
        point = canonical.get(values["point"].casefold())
        if point is None:
            known = ", ".join(points) or "none"
            found.append(
                Problem(where, f"unknown point {values['point']!r} (points: {known})", line)
            )
        if not bib:
            found.append(Problem(where, "the bib is empty", line))
        try:
            time_us = parse_instant(values["time"])
        except ValueError as error:
            found.append(Problem(where, str(error), line))
        if found or point is None:
            problems.extend(found)
            continue
        key = (point, bib, time_us)
        if key not in seen:
            seen.add(key)
            rows.append(PassingRow(line=line, point=point, bib=bib, time_us=time_us))
    return PassingsFile(
        rows=rows, problems=problems, encoding=table.encoding, delimiter=table.delimiter
    )
