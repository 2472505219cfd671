"""Result sheets as rows of cells, for CSV and JSON exports (pure)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from edge.domain.clock import format_duration
from edge.timing.model import EntrantResult, RaceFormat, RaceSpec, RelayResult, Status, TeamResult

RESULT_COLUMNS = (
    "rank",
    "bib",
    "first_name",
    "last_name",
    "sex",
    "category",
    "sex_rank",
    "category_rank",
    "team",
    "status",
    "gun_time",
    "chip_time",
)
TEAM_COLUMNS = ("rank", "team", "total_time", "members")
RELAY_COLUMNS = ("rank", "team", "status", "total_time")

Cell = str | int | None

FORMULA_STARTS = frozenset("=+-@\t\r\n")
"""What makes a spreadsheet read a cell as a formula (or DDE command) rather than text."""
_PLAIN_STARTS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:.")
"""First characters after which a text cell is surely not a formula (most cells)."""
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def spreadsheet_cell(value: Any) -> Any:
    """A cell a spreadsheet shows and never runs: text that would start a formula gets a ``'``.

    Names, clubs and teams are typed by strangers (an online entry form, a CSV
    import): ``=HYPERLINK(...)`` in a club must reach Excel or LibreOffice as text.
    Numbers, and text that is only a number (``-12``), stay numbers.
    """
    if value.__class__ is not str or value[:1] in _PLAIN_STARTS:
        return value  # the common case, decided on the first character alone
    first = value.lstrip(" ")[:1]  # Excel skips leading spaces before a formula
    if first in FORMULA_STARTS and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def result_columns(spec: RaceSpec) -> list[str]:
    """Return the column names of a results sheet: fixed columns, one per split, the club,
    then what the race's format adds (laps, lap times, distance) and one per segment.
    """
    columns = [*RESULT_COLUMNS, *(f"split_{code}" for code in spec.split_points), "club"]
    if spec.format is RaceFormat.LAPS:
        columns += ["laps", *(f"lap_{n}" for n in range(1, (spec.laps or 0) + 1))]
    elif spec.format is RaceFormat.TIMED:
        columns += ["laps", "distance_m"]
    columns += [f"seg_{segment.code}" for segment in spec.segments]
    return columns


def _time(us: int | None) -> str | None:
    return format_duration(us) if us is not None else None


def result_row(result: EntrantResult, spec: RaceSpec) -> dict[str, Cell]:
    """One entrant's row; a non-finisher's rank and time cells are empty (None).

    A runner on course (ONC) has the split cells it passed filled, nothing else.
    Counted laps, lap times and segment times are shown whatever the status: a DNF
    who did three laps did them.
    """
    finished = result.status is Status.FIN
    timed = finished or result.status is Status.ONC
    entrant = result.entrant
    row: dict[str, Cell] = {
        "rank": result.rank if finished else None,
        "bib": entrant.bib,
        "first_name": entrant.first_name,
        "last_name": entrant.last_name,
        "sex": entrant.sex or "",
        "category": result.category or "",
        "sex_rank": result.sex_rank if finished else None,
        "category_rank": result.category_rank if finished else None,
        "team": entrant.team,
        "status": result.status.value,
        "gun_time": _time(result.gun_time_us) if finished else None,
        "chip_time": _time(result.chip_time_us) if finished else None,
    }
    for code in spec.split_points:
        row[f"split_{code}"] = _time(result.splits_us.get(code)) if timed else None
    row["club"] = entrant.club
    if spec.format in (RaceFormat.LAPS, RaceFormat.TIMED):
        row["laps"] = result.laps or 0
    if spec.format is RaceFormat.LAPS:
        for number in range(1, (spec.laps or 0) + 1):
            lap = result.lap_times_us[number - 1] if number <= len(result.lap_times_us) else None
            row[f"lap_{number}"] = _time(lap)
    elif spec.format is RaceFormat.TIMED:
        distance = spec.lap_distance_m
        row["distance_m"] = (result.laps or 0) * distance if distance is not None else None
    for segment in spec.segments:
        row[f"seg_{segment.code}"] = _time(result.segments_us.get(segment.code))
    return row


def result_rows(results: Iterable[EntrantResult], spec: RaceSpec) -> list[dict[str, Cell]]:
    """Rows of a results sheet, in the order given (the engine's export order)."""
    return [result_row(r, spec) for r in results]


_MINUTE_TEXTS = tuple(f"{m // 60}:{m % 60:02d}:" for m in range(24 * 60))
"""``H:MM:`` of each minute of a day, and ``SS.t`` of each tenth of a second of a minute:
a 20,000-row sheet has 40,000 times, read from these in a third of format_duration's time."""
_SECOND_TEXTS = tuple(f"{t // 10:02d}.{t % 10}" for t in range(600))


def _sheet_time(us: int | None) -> str | None:
    """``spreadsheet_cell(_time(us))``: format_duration's text (tests/unit/test_export_cells.py)."""
    if us is None:
        return None
    if us >= 0:
        minutes, tenths = divmod(us // 100_000, 600)
        if minutes < len(_MINUTE_TEXTS):
            return _MINUTE_TEXTS[minutes] + _SECOND_TEXTS[tenths]
    shown: str = spreadsheet_cell(format_duration(us))  # a negative time starts like a formula
    return shown


def sheet_cells(results: Iterable[EntrantResult], spec: RaceSpec) -> Iterator[tuple[Cell, ...]]:
    """Each result's ``result_row`` as a spreadsheet may show it: in ``result_columns``
    order, each cell through ``spreadsheet_cell``, as a tuple.

    For files of 20,000 rows: a dict per row, read back column by column, then every
    cell checked cost more than writing the file (bench_exports). Only text typed by
    people is checked here, and times (tests/unit/test_export_cells.py holds the cells
    equal to ``result_row``'s for every format and status).
    """
    text = spreadsheet_cell
    splits = spec.split_points
    no_splits: tuple[Cell, ...] = (None,) * len(splits)
    laps_race = spec.format is RaceFormat.LAPS
    timed_race = spec.format is RaceFormat.TIMED
    lap_count = spec.laps or 0
    distance = spec.lap_distance_m
    segments = tuple(segment.code for segment in spec.segments)
    for result in results:
        entrant = result.entrant
        status = result.status
        finished = status is Status.FIN
        gun = chip = None
        if finished:
            gun_us, chip_us = result.gun_time_us, result.chip_time_us
            gun = _sheet_time(gun_us)
            # Without a start mat both times are the same: made once.
            chip = gun if chip_us == gun_us else _sheet_time(chip_us)
        cells: tuple[Cell, ...] = (
            result.rank if finished else None,
            text(entrant.bib),
            text(entrant.first_name),
            text(entrant.last_name),
            text(entrant.sex or ""),
            text(result.category or ""),
            result.sex_rank if finished else None,
            result.category_rank if finished else None,
            text(entrant.team),
            status.value,  # FIN, ONC, DNF...: never a formula
            gun,
            chip,
        )
        if splits:
            if finished or status is Status.ONC:
                cells += tuple(map(_sheet_time, map(result.splits_us.get, splits)))
            else:
                cells += no_splits
        cells += (text(entrant.club),)
        if laps_race:
            done = result.lap_times_us
            lap_cells = (_sheet_time(done[n]) if n < len(done) else None for n in range(lap_count))
            cells += (result.laps or 0, *lap_cells)
        elif timed_race:
            laps = result.laps or 0
            cells += (laps, laps * distance if distance is not None else None)
        if segments:
            cells += tuple(map(_sheet_time, map(result.segments_us.get, segments)))
        yield cells


def relay_columns(spec: RaceSpec) -> list[str]:
    """Column names of a relay's sheet: the team, then each leg's runner, time and rank."""
    columns = list(RELAY_COLUMNS)
    for leg in spec.legs:
        columns += [f"leg_{leg}_bib", f"leg_{leg}", f"leg_{leg}_rank"]
    return columns


def relay_rows(teams: Iterable[RelayResult]) -> list[dict[str, Cell]]:
    """One row per team, in the order given; a non-finisher's rank and total are empty."""
    rows: list[dict[str, Cell]] = []
    for team in teams:
        finished = team.status is Status.FIN
        row: dict[str, Cell] = {
            "rank": team.rank if finished else None,
            "team": team.team,
            "status": team.status.value,
            "total_time": _time(team.total_us) if finished else None,
        }
        for leg in team.legs:
            row[f"leg_{leg.leg}_bib"] = leg.entrant.bib if leg.entrant is not None else None
            row[f"leg_{leg.leg}"] = _time(leg.time_us)
            row[f"leg_{leg.leg}_rank"] = leg.rank
        rows.append(row)
    return rows


def team_rows(teams: Iterable[TeamResult]) -> list[dict[str, Cell]]:
    """Rows of the team ranking: ranked teams only, members as ``bib name`` joined by ``; ``."""
    rows: list[dict[str, Cell]] = []
    for team in teams:
        if team.rank is None or team.total_us is None:
            continue
        members = "; ".join(
            f"{m.entrant.bib} {m.entrant.first_name} {m.entrant.last_name}".strip()
            for m in team.members
        )
        rows.append(
            {
                "rank": team.rank,
                "team": team.team,
                "total_time": format_duration(team.total_us),
                "members": members,
            }
        )
    return rows


def to_csv(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    headings: Sequence[str] | None = None,
) -> str:
    """Render rows as CSV text with a header line (``headings``, else the column names).

    None becomes an empty cell; text that would start a formula is neutralised.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns if headings is None else headings)
    # None is written as an empty cell by csv itself; map() keeps the 300,000 cells of a
    # 20,000-row sheet out of a Python loop of our own (bench_exports).
    writer.writerows(map(spreadsheet_cell, map(row.get, columns)) for row in rows)
    return out.getvalue()


def to_records(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> list[dict[str, Any]]:
    """Rows restricted to ``columns``, in that order, for JSON."""
    return [{c: row.get(c) for c in columns} for row in rows]
