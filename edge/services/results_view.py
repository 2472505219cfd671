"""What the results page shows: a race's tab (scratch, sex, category, team), search, charts."""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from edge.domain.clock import format_duration, from_us
from edge.services.arrivals import pick_event
from edge.services.backup_review import backup_times
from edge.services.events import EventService, load_overview
from edge.services.live import live_results
from edge.services.paging import Window, window
from edge.services.relay_view import RelayRow, relay_found, relay_row
from edge.services.result_search import SearchIndex, folded, name_matches
from edge.services.results import RaceSheet
from edge.store.database import Database
from edge.timing.charts import (
    Bin,
    bar_chart_svg,
    finishers_per_minute,
    time_histogram,
)
from edge.timing.model import EntrantResult, RaceFormat, RaceSpec, Status, TeamResult

TABS = ("scratch", "sex", "category", "team", "charts")
RELAY_TABS = ("scratch",)
"""A relay ranks teams only: its runners' sexes, categories and finishes rank nothing."""
SEX_ORDER = ("F", "M")


@dataclass(frozen=True)
class SegmentCell:
    """A segment's time and its rank among everyone who has a time for it."""

    time: str
    rank: int | None


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
    laps: int | None = None  # lap and timed races: laps counted so far
    lap_times: list[str] = field(default_factory=list)  # each counted lap's time
    distance_m: int | None = None  # timed races with a lap distance
    segments: list[SegmentCell] = field(default_factory=list)
    backup: bool = False  # the finish time came from the backup line (docs/race-day.md)


@dataclass(frozen=True)
class Group:
    """Rows under one heading (a sex, a category; no heading for scratch).

    ``rows`` are those of the page shown; ``total`` counts the group's rows on every page.
    """

    key: str
    rows: list[Row]
    total: int


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
    tabs: tuple[str, ...] = TABS
    format: str = RaceFormat.POINT.value
    laps: int | None = None  # a lap race: how many complete it
    distance: bool = False  # a timed race with a lap distance shows the distance run
    splits: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    teams: list[TeamRow] = field(default_factory=list)
    relay: list[RelayRow] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)
    finishers: int = 0
    entrants: int = 0
    team_size: int | None = None
    window: Window | None = None  # the page of rows shown (None: the tab is not paged)


def row_of(
    result: EntrantResult, spec: RaceSpec, backup: frozenset[tuple[str, int]] = frozenset()
) -> Row:
    """A result as the page prints it; a non-finisher shows its status instead of ranks.

    A runner on course (ONC) shows the splits passed so far, and no time. Laps, lap
    times, distance and segments are shown whatever the status, as in the exports: a
    DNF who did three laps did them. ``backup``: (bib, instant) of the backup line's
    passings, which mark a finish taken from them.
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
        splits=[
            time(result.splits_us.get(code), finished or running) for code in spec.split_points
        ],
        laps=result.laps,
        lap_times=[format_duration(us) for us in result.lap_times_us],
        distance_m=distance_m(result, spec),
        segments=[
            SegmentCell(time(result.segments_us.get(code), True), result.segment_ranks.get(code))
            for code in (segment.code for segment in spec.segments)
        ],
        backup=finished and (entrant.bib, result.finish_us or 0) in backup,
    )


def distance_m(result: EntrantResult, spec: RaceSpec) -> int | None:
    """The distance a timed race's entrant has run: laps x lap distance (None: not known)."""
    if spec.format is not RaceFormat.TIMED or spec.lap_distance_m is None:
        return None
    return (result.laps or 0) * spec.lap_distance_m


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


def team_row(team: TeamResult, spec: RaceSpec) -> TeamRow:
    """A team as the page prints it, with its members' lines."""
    total = format_duration(team.total_us) if team.total_us is not None else ""
    return TeamRow(team.rank, team.team, total, [row_of(m, spec) for m in team.members])


def paged_groups(
    groups: list[tuple[str, list[EntrantResult]]],
    shown: Window,
    spec: RaceSpec,
    backup: frozenset[tuple[str, int]] = frozenset(),
) -> list[Group]:
    """The groups' rows on page ``shown`` of their rows one after the other; a group cut
    by a page break shows its heading on both pages."""
    paged, offset = [], 0
    for key, rows in groups:
        low, high = max(shown.start, offset), min(shown.stop, offset + len(rows))
        if low < high:
            part = rows[low - offset : high - offset]
            paged.append(Group(key, [row_of(r, spec, backup) for r in part], len(rows)))
        offset += len(rows)
    return paged


class SheetFacts:
    """What every request for a sheet's page would otherwise compute again over all rows."""

    def __init__(self, sheet: RaceSheet) -> None:
        self.finishers = sum(1 for r in sheet.results if r.status is Status.FIN)
        self._race = (sheet.event.slug, sheet.race.race.code)
        self._results = sheet.results  # not the sheet: _FACTS lets go when it dies
        self._search: SearchIndex | None = None

    def positions(self, query: str) -> list[int] | None:
        """``SearchIndex.positions`` over the sheet's entrants. The index is built at the
        first search of the sheet: a page with no search has no use for it, and it held
        ~4 MB of serve's memory at 20,000 entrants (tracemalloc)."""
        if not folded(query.strip()):
            return None
        if self._search is None:
            entrants = (r.entrant for r in self._results)
            self._search = SearchIndex(entrants, _LAST_INDEX.get(self._race))
            _LAST_INDEX[self._race] = self._search
            _LAST_INDEX.move_to_end(self._race)
            while len(_LAST_INDEX) > INDEXES_KEPT:
                _LAST_INDEX.popitem(last=False)
        return self._search.positions(query)


_FACTS: dict[int, tuple[weakref.ref[RaceSheet], SheetFacts]] = {}
_LAST_INDEX: OrderedDict[tuple[str, str], SearchIndex] = OrderedDict()
INDEXES_KEPT = 8
"""Races whose last search index lends its folded names to the race's next sheet."""


def facts_of(sheet: RaceSheet) -> SheetFacts:
    """The sheet's search index and finishers, worked out once per sheet (a sheet lives
    for one results version) and dropped with it: at 20,000 entrants, counting the
    finishers alone took 15 ms of every page and search."""
    key = id(sheet)
    kept = _FACTS.get(key)
    if kept is not None and kept[0]() is sheet:
        return kept[1]
    facts = SheetFacts(sheet)
    _FACTS[key] = (weakref.ref(sheet, lambda _: _FACTS.pop(key, None)), facts)
    return facts


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
        number: int = 1,
        per_page: int = 100,
        shown: int | None = None,
    ) -> ResultsPage:
        """Page ``number`` (``per_page`` rows) of ``event``'s (default: the box's) ``race``
        (default: its first); ValueError for a page number or size out of range.

        ``shown``: the results version the reader's page shows; a sheet already computed
        of that version or newer is good enough (searching, paging), none is awaited.
        """
        page = ResultsPage(tab=tab if tab in TABS else TABS[0], query=query.strip())
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
        kept = None if shown is None else self.live.kept_sheet(chosen.slug, wanted, shown)
        if kept is not None:
            page.version, sheet = kept
        else:
            page.version, sheet = await self.live.current(chosen.slug, wanted)
        spec = sheet.spec
        page.race = sheet.race.race.code
        page.format = spec.format.value
        page.tabs = RELAY_TABS if spec.format is RaceFormat.RELAY else TABS
        page.tab = tab = page.tab if page.tab in page.tabs else page.tabs[0]
        page.laps = spec.laps if spec.format is RaceFormat.LAPS else None
        page.distance = spec.format is RaceFormat.TIMED and spec.lap_distance_m is not None
        page.splits = list(spec.split_points)
        page.segments = [segment.code for segment in spec.segments]
        page.team_size = spec.team_size
        if spec.format is RaceFormat.RELAY:
            page.entrants = len(sheet.relay)
            page.finishers = sum(1 for team in sheet.relay if team.status is Status.FIN)
            relays = relay_found(sheet.relay, page.query)
            page.window = window(len(relays), number, per_page)
            page.relay = [relay_row(team, unfolded) for team, unfolded in page.window.rows(relays)]
            return page
        page.entrants = len(sheet.results)
        facts = facts_of(sheet)
        page.finishers = facts.finishers
        hits = facts.positions(page.query)
        found = sheet.results if hits is None else [sheet.results[at] for at in hits]
        async with self.db.read() as session:
            backup = await backup_times(session, chosen, spec.finish_points)
        if tab == "scratch":
            page.window = window(len(found), number, per_page)
            rows = [row_of(r, spec, backup) for r in page.window.rows(found)]
            page.groups = [Group("", rows, len(found))]
        elif tab in ("sex", "category"):
            if tab == "sex":
                groups = grouped(found, lambda r: r.entrant.sex, SEX_ORDER)
            else:
                order = [c.code for c in sheet.race.categories]
                groups = grouped(found, lambda r: r.category, order)
            page.window = window(sum(len(rows) for _, rows in groups), number, per_page)
            page.groups = paged_groups(groups, page.window, spec, backup)
        elif tab == "team":
            bibs = {r.entrant.bib for r in found}
            teams = [
                team
                for team in sheet.teams
                if name_matches(team.team, page.query)
                or any(m.entrant.bib in bibs for m in team.members)
            ]
            page.window = window(len(teams), number, per_page)
            page.teams = [team_row(team, spec) for team in page.window.rows(teams)]
        else:
            page.charts = chart_svgs(sheet, chosen.timezone, translate)
        return page
