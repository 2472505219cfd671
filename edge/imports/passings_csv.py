"""Passing files from a backup timer or another system.

Two shapes: ``point,bib,time`` with ISO 8601 instants (another system's export), and
what backup timers write, ``dossard;heure`` or ``bib,time`` with times of day
(``9:58:57.25``, ``09:58:57,3``), the point given by the operator (``--point``).
A time of day is placed by the caller's ``place`` (``edge.imports.timeofday``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
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
from edge.imports.timeofday import parse_time_of_day

# normalise_bib is re-exported: services normalise typed-in bibs exactly as files' bibs.
__all__ = ["PassingRow", "PassingsFile", "Placer", "normalise_bib", "parse_passings_csv"]

Placer = Callable[[str, int], int]
"""(bib, microseconds since local midnight) -> the instant that time of day means."""

ALIASES = {
    normalise_header(alias): field
    for field, names in {
        "point": ["point", "poste", "timing point", "point de passage"],
        "bib": ["bib", "dossard", "n dossard", "no dossard", "numero de dossard", "bib number"],
        "time": ["time", "heure", "timestamp", "time of day", "heure de passage"],
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


def parse_passings_csv(
    data: bytes,
    points: Collection[str],
    *,
    point: str | None = None,
    place: Placer | None = None,
) -> PassingsFile:
    """Parse a passings file; ``point`` is every row's when the file has no point column.

    A time is an ISO 8601 instant with an offset, or a time of day that ``place``
    turns into an instant (without ``place`` such a row is a problem).
    """
    table = read_csv_table(data)
    columns, _ignored, problems = map_headers(table.headers, ALIASES, table.header_line)
    needed = ("bib", "time") if point is not None else ("point", "bib", "time")
    missing = [f for f in needed if f not in columns]
    if missing:
        reason = f"missing column(s): {', '.join(missing)}"
        if "point" in missing:
            reason += " (a file without a point column needs --point, or ?point= over HTTP)"
        problems.append(Problem("header", reason, table.header_line))
    canonical = {code.casefold(): code for code in points}
    known = ", ".join(points) or "none"
    if point is not None and "point" in columns:
        reason = "the file has a point column: leave out --point, or remove the column"
        problems.append(Problem("header", reason, table.header_line))
    elif point is not None and point.strip().casefold() not in canonical:
        problems.append(Problem("--point", f"unknown point {point!r} (points: {known})"))
    if problems:
        found = quoted_headers(table)
        reason = (
            f"the passings file's header cannot be used (line {table.header_line} reads {found})"
        )
        raise InvalidInput(problems, reason)
    rows: list[PassingRow] = []
    seen: set[tuple[str, str, int]] = set()
    for line, cells in table.rows:
        values = cell_values(columns, cells)
        if point is not None:
            values["point"] = point.strip()
        bib = normalise_bib(values["bib"])
        where = f"bib {bib}" if bib else "bib"
        reasons: list[str] = []
        overflow = extra_cells(cells, table.headers, table.delimiter)
        if overflow:
            problems.append(Problem(where, overflow, line))
            continue
        code = canonical.get(values["point"].casefold())
        if not values["point"]:
            reasons.append("the point is empty")
        elif code is None:
            reasons.append(f"unknown point {values['point']!r} (points: {known})")
        bib_fault = bib_problem(bib)
        if bib_fault:
            reasons.append(bib_fault)
        time_us: int | None = None
        if not values["time"]:
            reasons.append("the time is empty")
        else:
            try:
                time_us = _instant(values["time"], bib, place)
            except ValueError as error:
                # It says what is wrong, e.g. "... has no timezone offset".
                reasons.append(str(error))
        problems.extend(Problem(where, reason, line) for reason in reasons)
        if reasons or code is None or time_us is None:
            continue
        # A file exported twice and concatenated must not double the passings.
        if (code, bib, time_us) not in seen:
            seen.add((code, bib, time_us))
            rows.append(PassingRow(line=line, point=code, bib=bib, time_us=time_us))
    return PassingsFile(
        rows=rows, problems=problems, encoding=table.encoding, delimiter=table.delimiter
    )


def _instant(text: str, bib: str, place: Placer | None) -> int:
    """The instant of a time cell: a time of day placed for ``bib``, else ISO 8601."""
    clock = parse_time_of_day(text)
    if clock is None:
        if place is None:
            return parse_instant(text)
        try:
            return parse_instant(text)
        except ValueError as error:
            if "T" in text or "-" in text:
                raise  # an ISO 8601 instant gone wrong: its own reason says how
            shape = "a time of day like 9:58:57.3 nor an ISO 8601 date-time"
            raise ValueError(f"{text.strip()!r} is neither {shape}") from error
    if place is None:
        raise ValueError(f"{text!r} is a time of day: the event's date and zone are needed")
    return place(bib, clock)
