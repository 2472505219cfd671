"""What an export holds: titled tables of cells built from computed results (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from edge.exports.words import ENGLISH, SheetWords
from edge.timing.export import (
    TEAM_COLUMNS,
    Cell,
    relay_columns,
    relay_rows,
    result_columns,
    result_rows,
    team_rows,
)
from edge.timing.model import EntrantResult, RaceSpec, RelayResult, Status, TeamResult

SHEET_KINDS = ("scratch", "category", "teams")
"""Kinds of result sheet; certificates are a kind of their own (PDF only)."""


@dataclass(frozen=True)
class Table:
    """One titled table: machine column names and rows of cells keyed by them."""

    title: str
    columns: tuple[str, ...]
    rows: list[dict[str, Cell]]


def finishers(results: Sequence[EntrantResult]) -> list[EntrantResult]:
    """Ranked finishers in rank order."""
    done = [r for r in results if r.status is Status.FIN and r.rank is not None]
    return sorted(done, key=lambda r: (r.rank or 0, r.entrant.bib))


def scratch_groups(
    results: Sequence[EntrantResult], words: SheetWords = ENGLISH
) -> list[tuple[str, list[EntrantResult]]]:
    """The overall ranking, then (if any) the entrants who did not finish: (title, results)."""
    groups = [(words.scratch, finishers(results))]
    others = [r for r in results if r.status is not Status.FIN]
    if others:
        groups.append((words.not_classified, others))
    return groups


def scratch_tables(
    results: Sequence[EntrantResult], spec: RaceSpec, words: SheetWords = ENGLISH
) -> list[Table]:
    """The overall ranking, then (if any) the entrants who did not finish."""
    columns = tuple(result_columns(spec))
    return [
        Table(title, columns, result_rows(group, spec))
        for title, group in scratch_groups(results, words)
    ]


def relay_tables(
    teams: Sequence[RelayResult], spec: RaceSpec, words: SheetWords = ENGLISH
) -> list[Table]:
    """A relay's teams: the ranked ones, then (if any) the teams that did not finish."""
    columns = tuple(relay_columns(spec))
    ranked = [t for t in teams if t.status is Status.FIN]
    tables = [Table(words.scratch, columns, relay_rows(ranked))]
    others = [t for t in teams if t.status is not Status.FIN]
    if others:
        tables.append(Table(words.not_classified, columns, relay_rows(others)))
    return tables


def category_groups(
    results: Sequence[EntrantResult], order: Sequence[str], words: SheetWords = ENGLISH
) -> list[tuple[str, list[EntrantResult]]]:
    """Finishers by category (in the race's category order), by category rank within each."""
    groups: dict[str, list[EntrantResult]] = {}
    for result in finishers(results):
        groups.setdefault(result.category or words.no_category, []).append(result)
    position = {code: i for i, code in enumerate(order)}
    titles = sorted(groups, key=lambda c: (position.get(c, len(position)), c))
    return [(title, sorted(groups[title], key=lambda r: r.category_rank or 0)) for title in titles]


def category_tables(
    results: Sequence[EntrantResult],
    spec: RaceSpec,
    order: Sequence[str],
    words: SheetWords = ENGLISH,
) -> list[Table]:
    """One table per category (in the race's category order), finishers by category rank."""
    columns = tuple(result_columns(spec))
    return [
        Table(title, columns, result_rows(group, spec))
        for title, group in category_groups(results, order, words)
    ]


def team_tables(teams: Sequence[TeamResult], words: SheetWords = ENGLISH) -> list[Table]:
    """The team ranking (ranked teams only)."""
    return [Table(words.teams, TEAM_COLUMNS, team_rows(teams))]


def flat_rows(tables: Sequence[Table]) -> tuple[tuple[str, ...], list[dict[str, Cell]]]:
    """All rows of tables sharing columns, one after the other (for a single CSV)."""
    columns = tables[0].columns if tables else ()
    return columns, [row for table in tables for row in table.rows]
