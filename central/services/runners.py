"""One runner of a published race: status, splits with pace and rank, a predicted finish.

Everything comes from the results document the MASTER publishes per race
(``central.services.public``): split cells ``split_<point>``, the chip time at the finish,
and, from boxes that send them, the race's points with their distances. A race's document
is parsed once per published version (its ETag) into a :class:`RaceTable`; a runner's
page then costs a dictionary lookup, a few bisections and, while on course, one
prediction (``central.services.predict``).
"""

from __future__ import annotations

import asyncio
import bisect
import gzip
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from central.errors import NotFound
from central.services.predict import LegRatios, Prediction, Times, field_legs, predict_finish
from central.services.public import REVALIDATE_S, PublicResultsService
from edge.clock import format_duration, parse_duration, parse_instant

log = logging.getLogger(__name__)

FINISH = "FINISH"
"""The finish's code when the document does not name the race's points (an older box)."""


@dataclass(frozen=True)
class Point:
    """A split or the finish of a race, where it is (0: unknown)."""

    code: str
    distance_m: int
    finish: bool


@dataclass(frozen=True)
class Passage:
    """A runner at one point: time since their start, average pace so far, rank there."""

    point: Point
    time_us: int | None
    rank: int | None  # among the runners who passed the point (at the finish: the race's rank)
    passed: int  # how many runners passed the point

    @property
    def time(self) -> str:
        """The time as the results show it (H:MM:SS.t), empty when not seen there."""
        return format_duration(self.time_us) if self.time_us is not None else ""

    @property
    def pace(self) -> str:
        """Average pace from the start to here, ``m:ss`` per km (empty: unknown)."""
        if self.time_us is None or self.point.distance_m <= 0:
            return ""
        seconds = round(self.time_us / 1_000_000 * 1000 / self.point.distance_m)
        return f"{seconds // 60}:{seconds % 60:02d}"


@dataclass(frozen=True)
class Runner:
    """A runner of a race as published: who, how they are doing, where they passed."""

    event: str
    race: str
    bib: str
    row: dict[str, Any]  # the published row (name, club, category, ranks, times...)
    passages: list[Passage]
    prediction: Prediction | None
    version: str  # the published document's ETag: the page changes only with it
    updated_us: int
    state: str | None  # provisional | official | None (a box older than sign-off)

    @property
    def status(self) -> str:
        """FIN, ONC, DNF, DNS, DSQ (as published)."""
        return str(self.row.get("status") or "")

    @property
    def name(self) -> str:
        """First and last name."""
        return f"{self.row.get('first_name') or ''} {self.row.get('last_name') or ''}".strip()

    @property
    def predicted(self) -> str:
        """The predicted finish time (H:MM:SS, empty when there is none)."""
        if self.prediction is None:
            return ""
        return format_duration(self.prediction.finish_us).split(".")[0]

    @property
    def last_passage(self) -> Passage | None:
        """The furthest point the runner was seen at."""
        seen = [p for p in self.passages if p.time_us is not None]
        return seen[-1] if seen else None


@dataclass
class RaceTable:
    """A race's published document, parsed once per version for runner pages."""

    event: str
    race: str
    etag: str
    updated_us: int
    state: str | None
    points: list[Point]
    rows: dict[str, dict[str, Any]]  # by bib
    times: dict[str, Times]  # by bib: elapsed µs per point code
    at_point: dict[str, list[int]]  # point code -> sorted times of the runners who passed it
    legs: list[LegRatios] = field(default_factory=list)

    def runner(self, bib: str) -> Runner:
        """The runner ``bib`` of this race (KeyError when not in it)."""
        row = self.rows[bib]
        times = self.times.get(bib, {})
        passages = []
        for point in self.points:
            at = times.get(point.code)
            ranked = self.at_point.get(point.code, [])
            if point.finish and isinstance(row.get("rank"), int):
                rank: int | None = int(row["rank"])
            else:
                rank = bisect.bisect_left(ranked, at) + 1 if at is not None else None
            passages.append(Passage(point, at, rank, len(ranked)))
        prediction = None
        if row.get("status") == "ONC":
            codes = [p.code for p in self.points]
            distances = {p.code: p.distance_m for p in self.points if p.distance_m > 0}
            prediction = predict_finish(times, codes, self.legs, distances)
        return Runner(self.event, self.race, bib, row, passages, prediction, self.etag,
                      self.updated_us, self.state)  # fmt: skip


def race_table(
    event: str, race: str, etag: str, updated_us: int, document: dict[str, Any]
) -> RaceTable:
    """Parse a published document (``{columns, rows, points?, state?}``) for runner pages."""
    columns = [str(c) for c in document.get("columns", [])]
    points = _points(document.get("points"), columns)
    rows: dict[str, dict[str, Any]] = {}
    times: dict[str, Times] = {}
    at_point: dict[str, list[int]] = {p.code: [] for p in points}
    for row in document.get("rows", []):
        if not isinstance(row, dict) or row.get("bib") in (None, ""):
            continue  # a relay's team rows have no bib of their own
        bib = str(row["bib"])
        rows[bib] = row
        runner: dict[str, int] = {}
        for point in points:
            cell = row.get("chip_time") if point.finish else row.get(f"split_{point.code}")
            if point.finish and row.get("status") != "FIN":
                cell = None
            if isinstance(cell, str) and cell:
                try:
                    runner[point.code] = _duration_us(cell)
                except ValueError:
                    continue  # not a time: shown as published, not counted
                at_point[point.code].append(runner[point.code])
        times[bib] = runner
    for ranked in at_point.values():
        ranked.sort()
    legs = field_legs(times.values(), [p.code for p in points])
    return RaceTable(event, race, etag, updated_us, document.get("state"), points, rows, times,
                     at_point, legs)  # fmt: skip


def table_of_body(event: str, race: str, etag: str, gzipped: bytes) -> RaceTable:
    """Parse the public API's gzipped body of a race (``central.services.public``)."""
    document = json.loads(gzip.decompress(gzipped))
    updated = document.get("updated")
    updated_us = parse_instant(updated) if isinstance(updated, str) else 0
    return race_table(event, race, etag, updated_us, document)


def _duration_us(text: str) -> int:
    """``H:MM:SS.t`` as the box writes it, in µs: split by hand, 20,000 rows per version
    (edge.clock.parse_duration's regular expression, for anything else, took 3x as long)."""
    hours, minutes, rest = text.split(":")
    seconds, _, fraction = rest.partition(".")
    if not (hours.isdigit() and minutes.isdigit() and seconds.isdigit()) or (
        fraction and not fraction.isdigit()
    ):
        return parse_duration(text)
    whole = (int(hours) * 60 + int(minutes)) * 60 + int(seconds)
    return whole * 1_000_000 + int(fraction.ljust(6, "0")[:6] or 0)


def _points(published: Any, columns: list[str]) -> list[Point]:
    """The race's points in course order: as published, else the split columns and a finish."""
    if isinstance(published, list) and published:
        found = [
            Point(str(p["code"]), int(p.get("distance_m") or 0), p.get("kind") == "finish")
            for p in published
            if isinstance(p, dict) and p.get("code")
        ]
        if found and found[-1].finish:
            splits = [p for p in found if not p.finish]
            return [*splits, found[-1]]  # one finish (a race with two lines ends at either)
    splits = [Point(c.removeprefix("split_"), 0, False) for c in columns if c.startswith("split_")]
    return [*splits, Point(FINISH, 0, True)]


class RunnerService:
    """Runners of an event's published races, each race parsed once per version."""

    def __init__(self, public: PublicResultsService) -> None:
        self.public = public
        self._tables: dict[tuple[str, str], RaceTable] = {}
        self._races: dict[str, tuple[float, list[str]]] = {}
        self._parsing = asyncio.Lock()
        self._pending: dict[tuple[str, str], asyncio.Task[RaceTable]] = {}

    async def event_name(self, event: str) -> str:
        """The event's name as its box reported it (its slug until one has)."""
        name, _ = await self.public.event_facts(event)
        return name

    async def races(self, event: str) -> list[str]:
        """The event's races with published results (looked up again after REVALIDATE_S)."""
        known = self._races.get(event)
        if known is not None and time.monotonic() - known[0] < REVALIDATE_S:
            return known[1]
        races = await self.public.races(event)
        self._races[event] = (time.monotonic(), races)
        return races

    async def table(self, event: str, race: str) -> RaceTable:
        """The race's latest published version, parsed (NotFound: none published).

        A new version is parsed aside while the previous one is still served: at 20,000
        entrants a parse takes a few hundred ms, which no spectator should wait for (their
        page catches up at its next poll).
        """
        encoded = await self.public.encoded(event, race)  # at most one ETag check a second
        key = (event, race)
        cached = self._tables.get(key)
        if cached is not None and cached.etag == encoded.etag:
            return cached
        if cached is not None:
            if key not in self._pending:
                task = asyncio.create_task(self._parse(event, race))
                self._pending[key] = task
                task.add_done_callback(lambda done: self._parsed(key, done))
            return cached
        return await self._parse(event, race)

    def _parsed(self, key: tuple[str, str], task: asyncio.Task[RaceTable]) -> None:
        """A parse aside ended: forget it (a failure is retried by the next request)."""
        self._pending.pop(key, None)
        if not task.cancelled() and task.exception() is not None:
            log.warning("parsing %s/%s for runner pages failed: %s", *key, task.exception())

    async def _parse(self, event: str, race: str) -> RaceTable:
        """Load and parse the race's newest version, once whoever asks."""
        key = (event, race)
        async with self._parsing:
            found = await self.public.encoded(event, race)
            cached = self._tables.get(key)
            if cached is not None and cached.etag == found.etag:
                return cached
            # From the gzipped body the public API sends: inflated and decoded in the
            # thread too, not on the event loop that answers the crowd.
            table = await asyncio.to_thread(table_of_body, event, race, found.etag, found.gzipped)
            self._tables[key] = table
            return table

    async def runner(self, event: str, bib: str) -> Runner:
        """Runner ``bib`` in whichever race of ``event`` they are; NotFound when in none."""
        races = await self.races(event)
        if not races:
            raise NotFound(f"no results published for event {event!r}")
        for race in races:
            table = await self.table(event, race)
            if bib in table.rows:
                return table.runner(bib)
        raise NotFound(f"bib {bib!r} is not in the published results of event {event!r}")

    async def runners(self, event: str, bibs: list[str]) -> list[Runner | str]:
        """Each of ``bibs``: the runner, or the bib itself when it is in no published race."""
        found: list[Runner | str] = []
        for bib in bibs:
            try:
                found.append(await self.runner(event, bib))
            except NotFound:
                found.append(bib)
        return found
