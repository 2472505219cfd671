"""What an export holds: titled tables of cells built from computed results (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from edge.timing.export import TEAM_COLUMNS, Cell, result_columns, result_rows, team_rows
from edge.timing.model import EntrantResult, Status, TeamResult

SHEET_KINDS = ("scratch", "category", "teams")
"""Kinds of result sheet; certificates are a kind of their own (PDF only)."""

LABELS = {
    "rank": "Rank",
    "bib": "Bib",
    "first_name": "First name",
    "last_name": "Last name",
    "name": "Name",
    "sex": "Sex",
    "category": "Category",
    "sex_rank": "Sex rank",
    "category_rank": "Cat. rank",
    "team": "Team",
    "status": "Status",
    "gun_time": "Gun time",
    "chip_time": "Chip time",
    "club": "Club",
    "total_time": "Total time",
    "members": "Members",
}
NO_CATEGORY = "No category"


@dataclass(frozen=True)
class Table:
    """One titled table: machine column names and rows of cells keyed by them."""

    title: str
    columns: tuple[str, ...]
    rows: list[dict[str, Cell]]


def label(column: str) -> str:
    """A column's heading for people (``split_KM5`` reads ``KM5``)."""
    return LABELS.get(column, column.removeprefix("split_"))


def finishers(results: Sequence[EntrantResult]) -> list[EntrantResult]:
    """Ranked finishers in rank order."""
    done = [r for r in results if r.status is Status.FIN and r.rank is not None]
    return sorted(done, key=lambda r: (r.rank or 0, r.entrant.bib))


def scratch_tables(results: Sequence[EntrantResult], splits: Sequence[str]) -> list[Table]:
    """The overall ranking, then (if any) the entrants who did not finish."""
    columns = tuple(result_columns(splits))
    tables = [Table("Scratch", columns, result_rows(finishers(results), splits))]
    others = [r for r in results if r.status is not Status.FIN]
    if others:
        tables.append(Table("Not classified", columns, result_rows(others, splits)))
    return tables


def category_tables(
    results: Sequence[EntrantResult], splits: Sequence[str], order: Sequence[str]
) -> list[Table]:
    """One table per category (in the race's category order), finishers by category rank."""
    groups: dict[str, list[EntrantResult]] = {}
    for result in finishers(results):
        groups.setdefault(result.category or NO_CATEGORY, []).append(result)
    position = {code: i for i, code in enumerate(order)}
    titles = sorted(groups, key=lambda c: (position.get(c, len(position)), c))
    columns = tuple(result_columns(splits))
    return [
        Table(
            title,
            columns,
            result_rows(sorted(groups[title], key=lambda r: r.category_rank or 0), splits),
        )
        for title in titles
    ]


def team_tables(teams: Sequence[TeamResult]) -> list[Table]:
    """The team ranking (ranked teams only)."""
    return [Table("Teams", TEAM_COLUMNS, team_rows(teams))]


def flat_rows(tables: Sequence[Table]) -> tuple[tuple[str, ...], list[dict[str, Cell]]]:
    """All rows of tables sharing columns, one after the other (for a single CSV)."""
    columns = tables[0].columns if tables else ()
    return columns, [row for table in tables for row in table.rows]
