"""Result sheets as rows of cells, for CSV and JSON exports (pure)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
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
