"""What the results page shows: a race's tab (scratch, sex, category, team), search, charts."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from edge.domain.clock import format_duration, from_us
from edge.services.arrivals import pick_event
from edge.services.events import EventService, load_overview
from edge.services.live import live_results
from edge.services.results import RaceSheet
from edge.store.database import Database
from edge.timing.charts import (
    Bin,
    bar_chart_svg,
    finishers_per_minute,
    time_histogram,
)
from edge.timing.model import EntrantResult, Status, TeamResult

TABS = ("scratch", "sex", "category", "team", "charts")
SEX_ORDER = ("F", "M")


@dataclass(frozen=True)
class Row:
    """One entrant's line: times already formatted ``H:MM:SS.t``."""

    rank: int | None
    bib: str
    name: str
    club: str
    sex: str
    category: str
    sex_rank: int | None
    category_rank: int | None
    team: str
    status: str  # FIN, DNF, DNS, DSQ, or ONC: on course (edge.timing.course)
    time: str
    splits: list[str]


@dataclass(frozen=True)
class Group:
    """Rows under one heading (a sex, a category; no heading for scratch)."""

    key: str
    rows: list[Row]


@dataclass(frozen=True)
class TeamRow:
    """A team's line: rank None when it has too few finishers to be ranked."""

    rank: int | None
    team: str
    total: str
    members: list[Row]


@dataclass
class ResultsPage:
    """Everything the results template needs; ``event`` None when the box has no event."""

    tab: str
    query: str
    events: list[tuple[str, str]] = field(default_factory=list)
    event: str | None = None
    event_name: str = ""
    races: list[tuple[str, str]] = field(default_factory=list)
    race: str | None = None
    version: int = 0
    splits: list[str] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    teams: list[TeamRow] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)
    finishers: int = 0
    entrants: int = 0
    team_size: int | None = None


def folded(text: str) -> str:
    """Lower case without accents, so "helene" finds "Hélène"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def matches(result: EntrantResult, query: str) -> bool:
    """Whether a result answers a search: the exact bib, or a part of the name."""
    wanted = folded(query.strip())
    if not wanted:
        return True
    entrant = result.entrant
    if folded(entrant.bib) == wanted:
        return True
    names = (
        f"{entrant.first_name} {entrant.last_name}",
        f"{entrant.last_name} {entrant.first_name}",
    )
    return any(wanted in folded(name) for name in names)


def row_of(result: EntrantResult, splits: Iterable[str]) -> Row:
    """A result as the page prints it; a non-finisher shows its status instead of ranks.

    A runner on course (ONC) shows the splits passed so far, and no time.
    """
    finished = result.status is Status.FIN
    running = result.status is Status.ONC
    entrant = result.entrant

    def time(us: int | None, shown: bool = finished) -> str:
        return format_duration(us) if us is not None and shown else ""

    return Row(
        rank=result.rank if finished else None,
        bib=entrant.bib,
        name=f"{entrant.first_name} {entrant.last_name}".strip(),
        club=entrant.club,
        sex=entrant.sex or "",
        category=result.category or "",
        sex_rank=result.sex_rank if finished else None,
        category_rank=result.category_rank if finished else None,
        team=entrant.team,
        status=result.status.value,
        time=time(result.ranking_time_us),
        splits=[time(result.splits_us.get(code), finished or running) for code in splits],
    )


def grouped(
    results: list[EntrantResult], key: Callable[[EntrantResult], str | None], order: Iterable[str]
) -> list[tuple[str, list[EntrantResult]]]:
    """Finishers per group, groups in ``order`` first, then the others by name."""
    groups: dict[str, list[EntrantResult]] = {}
    for result in results:
        value = key(result)
        if result.status is Status.FIN and value:
            groups.setdefault(value, []).append(result)
    known = [k for k in order if k in groups]
    rest = sorted(k for k in groups if k not in known)
    return [(k, groups[k]) for k in [*known, *rest]]


def team_rows(teams: Iterable[TeamResult], splits: list[str], query: str) -> list[TeamRow]:
    """Teams answering the search by team name or by one of their members."""
    rows = []
    for team in teams:
        named = not query or folded(query) in folded(team.team)
        if not named and not any(matches(m, query) for m in team.members):
            continue
        total = format_duration(team.total_us) if team.total_us is not None else ""
        rows.append(TeamRow(team.rank, team.team, total, [row_of(m, splits) for m in team.members]))
    return rows


def chart_svgs(sheet: RaceSheet, timezone: str, _: Callable[..., str]) -> list[str]:
    """The race's two charts: finishers per minute (clock time) and the finish-time histogram."""
    finishers = [r for r in sheet.results if r.status is Status.FIN]
    zone = ZoneInfo(timezone)

    def clock(us: int) -> str:
        return from_us(us).astimezone(zone).strftime("%H:%M")

    def minute(item: Bin) -> str:
        return _("{time}: {n} finishers", time=clock(item.start_us), n=item.count)

    def span(item: Bin) -> str:
        low, high = (
            format_duration(t)[:-2] for t in (item.start_us, item.start_us + item.width_us)
        )
        return _("{low} to {high}: {n} finishers", low=low, high=high, n=item.count)

    instants = [r.finish_us for r in finishers if r.finish_us is not None]
    times = [r.ranking_time_us for r in finishers if r.ranking_time_us is not None]
    return [
        bar_chart_svg(
            finishers_per_minute(instants),
            clock,
            title=_("Finishers per minute"),
            describe=minute,
        ),
        bar_chart_svg(
            time_histogram(times),
            lambda us: format_duration(us)[:-5],  # H:MM
            title=_("Finish times"),
            describe=span,
        ),
    ]


class ResultsView:
    """Builds the results page of a race from the live (memoised) results."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.live = live_results(db)

    async def page(
        self,
        *,
        event: str | None,
        race: str | None,
        tab: str,
        query: str,
        role_event: str | None,
        translate: Callable[..., str],
    ) -> ResultsPage:
        """The page for ``event`` (default: the box's) and ``race`` (default: its first)."""
        tab = tab if tab in TABS else TABS[0]
        page = ResultsPage(tab=tab, query=query.strip())
        events = await EventService(self.db).list_events()
        page.events = [(e.slug, e.name) for e in events]
        if not events and not event:
            return page
        async with self.db.read() as session:
            chosen = await pick_event(session, event, role_event)
            overview = await load_overview(session, chosen)
        page.event, page.event_name = chosen.slug, chosen.name
        page.races = [(r.race.code, r.race.name) for r in overview.races]
        if not page.races:
            return page
        wanted = race or page.races[0][0]
        page.version = await self.live.watch.version()
        sheet = await self.live.sheet(chosen.slug, wanted, page.version)
        page.race = sheet.race.race.code
        page.splits = list(sheet.spec.split_points)
        page.team_size = sheet.spec.team_size
        page.entrants = len(sheet.results)
        page.finishers = sum(1 for r in sheet.results if r.status is Status.FIN)
        found = [r for r in sheet.results if matches(r, page.query)]
        if tab == "scratch":
            page.groups = [Group("", [row_of(r, page.splits) for r in found])]
        elif tab == "sex":
            page.groups = self._groups(grouped(found, lambda r: r.entrant.sex, SEX_ORDER), page)
        elif tab == "category":
            order = [c.code for c in sheet.race.categories]
            page.groups = self._groups(grouped(found, lambda r: r.category, order), page)
        elif tab == "team":
            page.teams = team_rows(sheet.teams, page.splits, page.query)
        else:
            page.charts = chart_svgs(sheet, chosen.timezone, translate)
        return page

    @staticmethod
    def _groups(groups: list[tuple[str, list[EntrantResult]]], page: ResultsPage) -> list[Group]:
        return [Group(key, [row_of(r, page.splits) for r in rows]) for key, rows in groups]
