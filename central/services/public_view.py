"""What the public event page shows of a published results document (pure).

The document is the box's export of a race: ``columns`` and one row per entrant (per
team in a relay), the columns the box exports (``rank``, ``bib``, ``first_name``,
``sex``, ``sex_rank``, ``category``, ``category_rank``, ``team``, ``status``, times...).
The page's tabs are views of those rows like the box's results page: scratch, by sex,
by category, and the team ranking when the box published one (``teams``, issue 24).
A tab the document holds nothing for is not offered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

TABS = ("scratch", "sex", "category", "team")
PAGE_ROWS = 100
"""Rows on one page of a tab: a phone gets a page it can scroll, not 20,000 cards."""
SEX_ORDER = {"F": 0, "M": 1}
GROUP_RANK = {"sex": "sex_rank", "category": "category_rank"}
Row = Mapping[str, Any]


@dataclass(frozen=True)
class Group:
    """A run of rows under one heading (a sex, a category; the whole race for scratch)."""

    key: str | None
    total: int  # rows of the group after the search, across every page
    rows: list[Row]


@dataclass(frozen=True)
class View:
    """One page of one tab of a race, searched."""

    tab: str
    tabs: list[str]
    columns: list[str]  # in the order shown; a group's rank first in a grouped tab
    groups: list[Group]
    teams: list[Row] = field(default_factory=list)  # the team tab's rows
    team_size: int | None = None
    matched: int = 0  # rows (teams in the team tab) the search kept
    total: int = 0  # rows of the race
    page: int = 1
    pages: int = 1


def tabs_of(document: Mapping[str, Any]) -> list[str]:
    """The tabs the document has what to show for, scratch first."""
    columns = list(document.get("columns") or [])
    found = ["scratch"]
    for tab, rank in GROUP_RANK.items():
        if tab in columns and rank in columns:
            found.append(tab)
    if document.get("teams"):
        found.append("team")
    return found


def matches(row: Row, query: str) -> bool:
    """Whether a row answers a search: its bib exactly, or a name or team containing it."""
    if str(row.get("bib", "")).casefold() == query:
        return True
    names = (row.get("first_name"), row.get("last_name"), row.get("name"), row.get("team"))
    text = " ".join(str(part) for part in names if part)
    return all(word in text.casefold() for word in query.split())


def _searched(rows: Iterable[Row], query: str) -> list[Row]:
    query = query.strip().casefold()
    return [row for row in rows if isinstance(row, Mapping) and (not query or matches(row, query))]


def _ranked(rows: list[Row], rank: str) -> list[Row]:
    """Rows by their rank within their group, the unranked (not finished) after, in order."""
    return sorted(rows, key=lambda row: (row.get(rank) is None, row.get(rank) or 0))


def _grouped(rows: list[Row], tab: str) -> list[Group]:
    by_key: dict[str, list[Row]] = {}
    for row in rows:
        by_key.setdefault(str(row.get(tab) or ""), []).append(row)
    if tab == "sex":
        keys = sorted(by_key, key=lambda key: (SEX_ORDER.get(key, 2), key))
    else:
        keys = sorted(by_key, key=lambda key: (key == "", key))
    ranked = [Group(key, len(by_key[key]), _ranked(by_key[key], GROUP_RANK[tab])) for key in keys]
    return ranked


def _page(groups: list[Group], page: int, size: int) -> list[Group]:
    """The groups' rows from ``(page - 1) * size`` on, ``size`` of them, headings kept."""
    start, end, seen = (page - 1) * size, page * size, 0
    shown = []
    for group in groups:
        first, last = max(start - seen, 0), min(end - seen, len(group.rows))
        if first < last:
            shown.append(Group(group.key, group.total, group.rows[first:last]))
        seen += len(group.rows)
    return shown


def view(
    document: Mapping[str, Any], tab: str, query: str, page: int, size: int = PAGE_ROWS
) -> View:
    """The page ``page`` of ``tab`` (scratch when the document cannot show it), searched."""
    tabs = tabs_of(document)
    tab = tab if tab in tabs else "scratch"
    columns = [str(column) for column in document.get("columns") or []]
    rows: Sequence[Row] = document.get("rows") or []
    if tab == "team":
        teams = _searched(document.get("teams") or [], query)
        return View(tab, tabs, columns, [], teams=teams, team_size=document.get("team_size"),
                    matched=len(teams), total=len(rows))  # fmt: skip
    kept = _searched(rows, query)
    if tab == "scratch":
        groups = [Group(None, len(kept), kept)]
    else:
        rank = GROUP_RANK[tab]
        columns = [rank, *(column for column in columns if column != rank)]
        groups = _grouped(kept, tab)
    pages = max(1, -(-len(kept) // size))
    page = min(max(page, 1), pages)
    return View(tab, tabs, columns, _page(groups, page, size),
                matched=len(kept), total=len(rows), page=page, pages=pages)  # fmt: skip
