"""Public live results: the latest document each MASTER published per race."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import gzip
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from central.errors import Invalid, NotFound
from central.store.database import CentralDatabase
from central.store.models import CentralEvent, PublicResults
from edge.domain.clock import from_us, now_us
from edge.errors import InvalidInput
from edge.sync.snapshots import RESULTS_TABLE, unpacked_payload

REVALIDATE_S = 1.0
"""How long an encoded document is served before its ETag is checked in the database again
(the responses say max-age=5: a CDN may serve it longer than that anyway)."""
GZIP_LEVEL = 6
PARSED_RACES = 16
"""Races whose parsed document the event page keeps (about 15 MB each at 20,000 rows)."""
HEAD_FIELDS = ("event", "race", "updated")
FACTS_KEPT = 1_000
_publications: dict[tuple[str, str], int] = {}
"""How many times this process stored each race's results: a cached body older than the
last publication here is never served (another central process is bounded by REVALIDATE_S)."""


@dataclass(frozen=True)
class RaceResults:
    """A race's results as published, with the ETag a CDN revalidates against."""

    event: str
    race: str
    updated_us: int
    etag: str
    document: dict[str, Any]


class CoursePoint(BaseModel):
    """A split or finish point of a race, as the box publishes it (for paces and predictions)."""

    model_config = ConfigDict(extra="ignore")

    code: str = Field(min_length=1)
    kind: str = ""
    distance_m: int = Field(default=0, ge=0)


class ResultsPayload(BaseModel):
    """A ``results_snapshot`` upsert, as the box's results cache writes it."""

    model_config = ConfigDict(extra="ignore")

    event: str = Field(min_length=1)
    race: str = Field(min_length=1)
    updated_us: int = 0  # the box's clock: orders that box's own snapshots, nothing else
    columns: list[str] = Field(default_factory=list)
    rows: list[dict[str, Any]] = Field(default_factory=list)
    # Provisional until signed off on the box, then official (edge.services.signoff); a box
    # older than sign-off sends neither.
    state: Literal["provisional", "official"] | None = None
    version: int | None = Field(default=None, ge=1)
    # The race's split and finish points in course order; a box older than the runner pages
    # sends none (central.web.runner then shows no pace).
    points: list[CoursePoint] | None = None
    # The race's team ranking (each team's rank, name, total and members), with how many
    # best times make a total: the event page's team tab (issue 24); older boxes send none.
    teams: list[dict[str, Any]] | None = None
    team_size: int | None = Field(default=None, ge=1)


def parse_results(seq: int, payload: dict[str, object]) -> ResultsPayload:
    """Validate a results snapshot, packed or written out (``edge.sync.snapshots``).

    Invalid names the change and its first problem; a packed sheet inflating past its
    bound is TooLarge (413). Either way nothing of the batch is applied.
    """
    try:
        return ResultsPayload.model_validate(unpacked_payload(payload))
    except InvalidInput as error:
        raise Invalid(
            f"change seq {seq} ({RESULTS_TABLE}): {error.message}; nothing of the batch was applied"
        ) from error
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        raise Invalid(
            f"change seq {seq} ({RESULTS_TABLE}): {where}: {first['msg']};"
            " nothing of the batch was applied"
        ) from error


async def publish(session: AsyncSession, device_id: str, results: ResultsPayload, now: int) -> None:
    """Store a race's published results; which snapshot wins is central's decision.

    A box's clock orders only that box's own snapshots (a late delivery of an
    older one does not replace a newer one), and it cannot claim the future: a
    time ahead of central's is taken as central's. Between boxes, the snapshot
    central receives last wins (a replacement MASTER takes a race over at once),
    so no box's clock can pin a race's results against another box.
    """
    key = (results.event, results.race)
    _publications[key] = _publications.get(key, 0) + 1
    updated = min(results.updated_us, now)
    signed: dict[str, object] = (
        {"state": results.state, "version": results.version} if results.state else {}
    )
    if results.points is not None:
        signed["points"] = [point.model_dump() for point in results.points]
    ranked = {"teams": results.teams, "team_size": results.team_size} if results.teams else {}
    document = json.dumps(
        {**signed, "columns": results.columns, "rows": results.rows, **ranked},
        separators=(",", ":"),
    )
    etag = hashlib.sha256(document.encode()).hexdigest()[:32]
    row = await session.get(PublicResults, key)
    if row is not None and row.device_id == device_id and row.updated_us > updated:
        return
    # The response body is gzipped here, once per version, not by the server that sends it;
    # in a thread (zlib lets go of the GIL): 40 ms at 20,000 rows off the event loop that
    # answers the public when central ingests in the same process.
    body = response_body(*key, updated, document)
    gzipped = await asyncio.to_thread(functools.partial(gzip.compress, mtime=0), body, GZIP_LEVEL)
    if row is None:
        row = PublicResults(event_slug=results.event, race_code=results.race, device_id=device_id,
                            document=document, etag=etag, updated_us=updated)  # fmt: skip
    row.device_id, row.document, row.etag, row.updated_us = device_id, document, etag, updated
    row.gzipped, row.gzipped_etag = gzipped, etag
    session.add(row)


@dataclass(frozen=True)
class PublicEvent:
    """An event with published results, as the public list shows it."""

    slug: str
    name: str  # the slug when no box reported the event's name
    date: str | None  # ISO date, the event's local day (None: no box reported it)
    place: str | None
    races: list[str]
    today: bool


@dataclass(frozen=True)
class EncodedResults:
    """A race's published results as a response body, ready to send as it is."""

    etag: str
    gzipped: bytes  # JSON (event, race, updated, columns, rows), gzipped once per version
    checked_s: float  # time.monotonic() when the ETag was last seen in the database
    publication: int  # _publications of the race when it was checked

    def fresh(self, key: tuple[str, str]) -> bool:
        """Whether this body may be served without looking at the database."""
        if _publications.get(key, 0) != self.publication:
            return False
        return time.monotonic() - self.checked_s < REVALIDATE_S

    @functools.cached_property
    def body(self) -> bytes:
        """The JSON body for a client that takes no gzip (inflated on first use, then kept)."""
        return gzip.decompress(self.gzipped)


class PublicResultsService:
    """Read-only access for the public.

    A race's body is gzipped once per published version, by ``publish``, and kept in
    memory here: a request costs at most an ETag lookup per second and race, and a new
    version one read of its gzipped bytes, not a parse and a re-encoding of 20,000 rows.
    """

    def __init__(self, db: CentralDatabase) -> None:
        self.db = db
        self._encoded: dict[tuple[str, str], EncodedResults] = {}
        # One look at the database at a time, whatever the race: races checked together go
        # stale together, and ten checks at once took ten pooled connections (five of them
        # opened, with a thread each, and closed again every second).
        self._checking = asyncio.Lock()
        self._parsed: dict[tuple[str, str], RaceResults] = {}
        self._parsing = asyncio.Lock()
        self._facts: dict[str, tuple[float, str, list[str]]] = {}

    async def encoded(self, event: str, race: str) -> EncodedResults:
        """The race's latest results as response bodies; NotFound when none are published."""
        key = (event, race)
        cached = self._encoded.get(key)
        if cached is not None and cached.fresh(key):
            return cached
        # One request re-checks (and loads a new version): the others wait for it.
        async with self._checking:
            cached = self._encoded.get(key)
            if cached is not None and cached.fresh(key):
                return cached
            now, publication = time.monotonic(), _publications.get(key, 0)
            async with self.db.read() as session:
                etag = (
                    await session.exec(
                        select(PublicResults.etag).where(
                            PublicResults.event_slug == event, PublicResults.race_code == race
                        )
                    )
                ).first()
            if etag is None:
                self._encoded.pop(key, None)
                raise NotFound(f"no results published for race {race!r} of event {event!r}")
            if cached is not None and cached.etag == etag:
                fresh = dataclasses.replace(cached, checked_s=now, publication=publication)
            else:
                fresh = await self._load(event, race, now, publication)
            self._encoded[key] = fresh
            return fresh

    async def _load(self, event: str, race: str, now: float, publication: int) -> EncodedResults:
        """The race's newest body as publish gzipped it (gzipped here for an older row)."""
        async with self.db.read() as session:
            stored = (
                await session.exec(
                    select(
                        PublicResults.etag, PublicResults.gzipped_etag, PublicResults.gzipped
                    ).where(PublicResults.event_slug == event, PublicResults.race_code == race)
                )
            ).first()
        if stored is None:
            raise NotFound(f"no results published for race {race!r} of event {event!r}")
        etag, gzipped_etag, gzipped = stored
        if gzipped is not None and gzipped_etag == etag:
            return EncodedResults(etag, gzipped, now, publication)
        # Published by a release older than c0009 (or replaced by one since): gzip it here.
        async with self.db.read() as session:
            row = await session.get(PublicResults, (event, race))
        if row is None:
            raise NotFound(f"no results published for race {race!r} of event {event!r}")
        return await asyncio.to_thread(_encode, row, now, publication)

    async def plain(self, found: EncodedResults) -> bytes:
        """The body of ``found`` for a client that takes no gzip (inflated aside, then kept)."""
        if "body" not in found.__dict__:
            await asyncio.to_thread(lambda: found.body)
        return found.body

    async def results(self, event: str, race: str) -> RaceResults:
        """The latest published results of ``race`` at ``event``."""
        async with self.db.read() as session:
            row = await session.get(PublicResults, (event, race))
        if row is None:
            raise NotFound(f"no results published for race {race!r} of event {event!r}")
        return RaceResults(event, race, row.updated_us, row.etag, json.loads(row.document))

    async def document(self, event: str, race: str) -> RaceResults:
        """The race's latest results parsed, kept while their ETag stays the same.

        The event page renders a page of rows from them at each new version, not a
        parse of 20,000 rows at each request.
        """
        found = await self.encoded(event, race)
        key = (event, race)
        kept = self._parsed.get(key)
        if kept is not None and kept.etag == found.etag:
            return kept
        async with self._parsing:  # the requests a new version meets wait for one parse
            kept = self._parsed.get(key)
            if kept is not None and kept.etag == found.etag:
                return kept
            return await self._parse(key, found)

    async def _parse(self, key: tuple[str, str], found: EncodedResults) -> RaceResults:
        event, race = key
        body = await asyncio.to_thread(_decoded, found.gzipped)
        document = {name: value for name, value in body.items() if name not in HEAD_FIELDS}
        updated = body.get("updated")
        updated_us = int(dt.datetime.fromisoformat(updated).timestamp() * 1e6) if updated else 0
        parsed = RaceResults(event, race, updated_us, found.etag, document)
        if len(self._parsed) >= PARSED_RACES and key not in self._parsed:
            self._parsed.pop(next(iter(self._parsed)))  # the race parsed longest ago
        self._parsed[key] = parsed
        return parsed

    async def events(self, *, now: int | None = None) -> list[PublicEvent]:
        """Events with published results: today's first (where they take place), then by date.

        Name, date and place come from what the boxes report of their event (the
        dashboard's ``central_event``); an event no box reported is listed by its slug.
        """
        now = now_us() if now is None else now
        async with self.db.read() as session:
            published = (
                await session.exec(select(PublicResults.event_slug, PublicResults.race_code))
            ).all()
            known = {e.slug: e for e in (await session.exec(select(CentralEvent))).all()}
        races: dict[str, list[str]] = {}
        for slug, race in published:
            races.setdefault(slug, []).append(race)
        found = []
        for slug, codes in races.items():
            event = known.get(slug)
            if event is None:
                found.append(PublicEvent(slug, slug, None, None, sorted(codes), today=False))
                continue
            today = event.date == local_date(now, event.timezone)
            found.append(
                PublicEvent(slug, event.name, event.date, event.place, sorted(codes), today)
            )
        # today's first, then the most recent dates, then the undated
        found.sort(key=lambda e: (not e.today, e.date is None, _descending(e.date), e.name))
        return found

    async def event_facts(self, slug: str) -> tuple[str, list[str]]:
        """The event's name (its slug when no box reported it) and its published races.

        Looked up at most once per REVALIDATE_S and event: the event page asks at every
        request, before it knows whether the cache asking already holds the page.
        """
        kept = self._facts.get(slug)
        if kept is not None and time.monotonic() - kept[0] < REVALIDATE_S:
            return kept[1], kept[2]
        # As in ``encoded``: one request looks, the others that found it stale wait for it
        # (each looking on its own queued hundreds of reads behind a publishing write).
        async with self._checking:
            kept = self._facts.get(slug)
            if kept is not None and time.monotonic() - kept[0] < REVALIDATE_S:
                return kept[1], kept[2]
            checked = time.monotonic()
            async with self.db.read() as session:
                event = await session.get(CentralEvent, slug)
                races = await session.exec(
                    select(PublicResults.race_code).where(PublicResults.event_slug == slug)
                )
                codes = sorted(races.all())
            name = event.name if event is not None else slug
            if len(self._facts) >= FACTS_KEPT:
                self._facts.clear()  # a crawler walking made-up slugs does not grow it for ever
            self._facts[slug] = (checked, name, codes)
            return name, codes

    async def races(self, event: str) -> list[str]:
        """Races of ``event`` with published results."""
        async with self.db.read() as session:
            rows = await session.exec(
                select(PublicResults.race_code).where(PublicResults.event_slug == event)
            )
            return sorted(rows.all())


def _decoded(gzipped: bytes) -> dict[str, Any]:
    """A stored body as objects: msgspec, 3.5 times json's speed on 20,000 rows (110 ms
    against 370 on a busy host), and the parse holds the GIL the crowd's 304s wait on."""
    body: dict[str, Any] = msgspec.json.decode(gzip.decompress(gzipped))
    return body


def local_date(now: int, timezone: str) -> str:
    """The ISO date it is at ``now`` in ``timezone`` (UTC when the zone is unknown)."""
    try:
        zone = ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError):
        zone = ZoneInfo("UTC")
    return from_us(now).astimezone(zone).date().isoformat()


def _descending(date: str | None) -> str:
    """A sort key putting later ISO dates first."""
    return "".join(chr(0x7F - ord(c)) for c in date or "")


def response_body(event: str, race: str, updated_us: int, document: str) -> bytes:
    """The public API's JSON body: the race's fields, then the stored document's.

    The stored document is already the JSON object ``{"columns": ..., "rows": ...}``
    (``publish``): the body is that text with the race's fields put in front, without
    parsing and writing out 20,000 rows again.
    """
    head = json.dumps(
        {"event": event, "race": race, "updated": from_us(updated_us).isoformat()},
        separators=(",", ":"),
    )
    document = document.strip()
    if not document.startswith("{") or document == "{}":
        document = '{"columns":[],"rows":[]}'
    return (head[:-1] + "," + document[1:]).encode()


def _encode(row: PublicResults, checked_s: float, publication: int) -> EncodedResults:
    """Gzip a row's body here: a row whose body publish did not gzip (older release)."""
    body = response_body(row.event_slug, row.race_code, row.updated_us, row.document)
    gzipped = gzip.compress(body, GZIP_LEVEL, mtime=0)
    return EncodedResults(row.etag, gzipped, checked_s, publication)
