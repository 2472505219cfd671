"""The live-results cache: one JSON document per race, rewritten only when results change.

The speaker screens read the files; central gets each new version through the
outbox (table ``results_snapshot``), in the same pipe and order as the reads.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlmodel import col, select

from edge.domain import Event, PointKind, Race
from edge.domain.clock import format_duration, now_us
from edge.services.events import get_event, load_overview
from edge.services.live import LiveResults, live_results
from edge.services.results import RaceSheet, ResultService, race_spec
from edge.services.signoff import SignoffService
from edge.store.database import Database
from edge.store.documents import DocumentKind, read_document, write_document
from edge.sync.snapshots import PACKED_KEY, RESULTS_TABLE, pack_text
from edge.timing.course import race_open
from edge.timing.export import relay_columns, relay_rows, result_columns, result_row
from edge.timing.model import RaceFormat, RaceSpec, Status, TeamResult

RESULTS_DOCUMENT = DocumentKind("live-results document", version=1)


@dataclass(frozen=True)
class CachedRace:
    """A race whose cached results were rewritten."""

    event: str
    race: str
    path: Path
    finishers: int


class ResultsCache:
    """Writes ``<folder>/<event>/<race>.json`` and publishes it to central.

    ``live``: the web process's races kept in memory (``edge.services.live``), brought up
    to date one passing at a time; without it (the worker) a race is computed from the
    database for each new version and dropped.
    """

    def __init__(self, db: Database, folder: Path, live: LiveResults | None = None) -> None:
        self.db = db
        self.folder = folder
        self.live = live
        self.computed = 0  # race sheets computed by this object's refreshes (not skipped)

    async def refresh(self, slug: str | None = None) -> list[CachedRace]:
        """Rewrite the documents of every race (of ``slug``, else of every event) that changed."""
        async with self.db.read() as session:
            if slug:
                events = [await get_event(session, slug)]
            else:
                events = list((await session.exec(select(Event))).all())
            races: dict[str, list[str]] = {}
            for event in events:
                query = select(Race.code).where(Race.event_id == event.id)
                races[event.slug] = list(
                    (await session.exec(query.order_by(col(Race.position)))).all()
                )
        changed: list[CachedRace] = []
        for event_slug, codes in races.items():
            for code in codes:
                cached = await self._refresh_race(event_slug, code)
                if cached is not None:
                    changed.append(cached)
        return changed

    async def _refresh_race(self, slug: str, race: str) -> CachedRace | None:
        # A race's sheet is a function of the stored data (the results' version), its
        # definition and whether it is still open (ONC or DNF): with none of the three
        # moved since the document on disk was made, there is nothing to do. The sheet is
        # computed from the database when it must be, not kept in an engine: the worker
        # would hold a second copy of every big race (bench_memory: +42 MB at 20,000).
        # The web process keeps the race anyway, for its screens: it takes its sheet.
        moment = now_us()
        version = await (self.live or live_results(self.db)).watch.version()
        spec = await self._spec(slug, race)
        # Provisional or official (edge.services.signoff): a sign-off changes no row but
        # must reach the screens and central all the same.
        signed = await SignoffService(self.db).state(slug, race)
        stamp: dict[str, object] = {
            "state": signed.state.value,
            "version": signed.version,
            "label": signed.label,
        }
        state = (version, spec, race_open(spec, moment), tuple(stamp.items()))
        path = self.folder / slug / f"{race}.json"
        key = (self.db.path, slug, race)
        last = _published.get(key)
        if last is not None and last[0] == state and _stored_digest(path) == last[1]:
            return None
        if self.live is not None:
            sheet = await self.live.sheet_at(slug, race, version, moment, spec)
        else:
            sheet = await ResultService(self.db).race_sheet(slug, race, moment)
        self.computed += 1
        finishers = sum(1 for r in sheet.results if r.status == Status.FIN)
        # The team ranking, for central's team tab (issue 24); a central older than that
        # ignores the two keys. Only a race with a team size has one.
        ranked: dict[str, object] = {}
        if spec.team_size and sheet.teams:
            ranked = {"teams": published_teams(sheet.teams), "team_size": spec.team_size}
        # The rows are written out in JSON one at a time: at 20,000 entrants the rows as
        # objects (then as records, then as lists to pack) were ~20 MB each, for a document
        # of ~6 MB. The texts are those json.dumps makes of the whole (same digests).
        columns, rows = _rows_json(sheet)
        del sheet
        body = _with_rows(
            json.dumps({**stamp, "columns": columns}, separators=SEP), rows[0], ranked
        )
        digest = hashlib.sha256(body.encode()).hexdigest()
        del body
        _published[key] = (state, digest)
        if _stored_digest(path) == digest:
            return None
        updated = now_us()
        course = {"points": await self._points(slug, race)}
        document = {
            "event": slug,
            "race": race,
            "updated_us": updated,
            "sha256": digest,
            **stamp,
            **course,
            "columns": columns,
            **ranked,  # the rows are written after them (write_document's ``written``)
        }
        # Central gets the rows packed: a big race's sheet is one value, not 20,000 objects.
        packed = _with_rows(json.dumps({"columns": columns}, separators=SEP), rows[1])
        payload = json.dumps(
            {
                "event": slug,
                "race": race,
                "updated_us": updated,
                "sha256": digest,
                **stamp,
                **course,
                **ranked,
                PACKED_KEY: await asyncio.to_thread(pack_text, packed),
            }
        )
        del packed
        await asyncio.to_thread(
            write_document, path, RESULTS_DOCUMENT, document, written={"rows": rows[0]}
        )
        _remember_digest(path, digest)
        async with self.db.write() as session:
            await session.exec(  # type: ignore[call-overload]
                text(
                    "INSERT INTO outbox (table_name, op, row_id, payload, created_us)"
                    " VALUES (:table, 'upsert', :row, :payload, :now)"
                ),
                params={
                    "table": RESULTS_TABLE,
                    "row": f"{slug}/{race}",
                    "payload": payload,
                    "now": updated,
                },
            )
        return CachedRace(slug, race, path, finishers)

    async def _points(self, slug: str, race: str) -> list[dict[str, object]]:
        """The race's split and finish points in course order, with their distances.

        Central's runner pages show a pace at each point and predict finishes from them
        (a central older than this ignores them; a box older than this sends none).
        """
        async with self.db.read() as session:
            event = await get_event(session, slug)
            overview = await load_overview(session, event)
        found = next(r for r in overview.races if r.race.code.casefold() == race.casefold())
        return [
            {"code": p.code, "kind": PointKind(p.kind).value, "distance_m": p.distance_m}
            for p in found.points
            if p.kind in (PointKind.SPLIT, PointKind.FINISH)
        ]

    async def _spec(self, slug: str, race: str) -> RaceSpec:
        """The race's definition as stored now: a few small queries."""
        async with self.db.read() as session:
            event = await get_event(session, slug)
            overview = await load_overview(session, event)
        found = next(r for r in overview.races if r.race.code.casefold() == race.casefold())
        return race_spec(event, found)


def published_teams(teams: list[TeamResult]) -> list[dict[str, object]]:
    """The team ranking as central shows it: rank (None: incomplete), total, the members."""
    return [
        {
            "rank": team.rank,
            "team": team.team,
            "total": format_duration(team.total_us) if team.total_us is not None else None,
            "members": [
                {
                    "bib": member.entrant.bib,
                    "name": f"{member.entrant.first_name} {member.entrant.last_name}".strip(),
                    "time": format_duration(member.ranking_time_us)
                    if member.ranking_time_us is not None
                    else None,
                }
                for member in team.members
            ],
        }
        for team in teams
    ]


SEP = (",", ":")
"""The documents' JSON separators (no spaces): their digests depend on them."""


def _rows_json(sheet: RaceSheet) -> tuple[list[str], tuple[str, str]]:
    """The sheet's columns, and its rows in JSON as objects and as lists (in the order of
    the columns, to pack), each row made and written out on its own."""
    spec = sheet.spec
    if spec.format is RaceFormat.RELAY:
        columns, rows = relay_columns(spec), iter(relay_rows(sheet.relay))
    else:
        columns = result_columns(spec)
        rows = (result_row(result, spec) for result in sheet.results)
    # Into two buffers, not lists of 20,000 small strings: those would be scattered among
    # the objects the process keeps (serve's races), and the memory they leave once freed
    # could not go back to the system.
    objects, lists = io.StringIO(), io.StringIO()
    comma = ""
    for row in rows:
        objects.write(comma + json.dumps({c: row.get(c) for c in columns}, separators=SEP))
        lists.write(comma + json.dumps([row.get(c) for c in columns], separators=SEP))
        comma = ","
    return columns, (f"[{objects.getvalue()}]", f"[{lists.getvalue()}]")


def _with_rows(head: str, rows: str, tail: dict[str, object] | None = None) -> str:
    """``head`` (a JSON object) with the key ``rows`` added, its value ``rows`` (already
    JSON), then the keys of ``tail``: what json.dumps makes of them all in that order."""
    more = json.dumps(tail, separators=SEP)[1:-1] if tail else ""
    return head[:-1] + ',"rows":' + rows + ("," + more if more else "") + "}"


_published: dict[tuple[Path, str, str], tuple[tuple[object, ...], str]] = {}
"""What each race's document was last made from in this process (results' version, race
definition, race open, results' state), and its digest."""

_digests: dict[Path, tuple[tuple[int, int, int], str]] = {}
"""The sha256 of each document this process last wrote or read, with the file's inode,
mtime and size then (a document is replaced by a rename: a new inode). Parsing a
20,000-row document again only to read its digest cost 26 MB at every refresh."""


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size


def _remember_digest(path: Path, digest: str) -> None:
    stamp = _stamp(path)
    if stamp is not None:
        _digests[path] = (stamp, digest)


def _stored_digest(path: Path) -> str | None:
    stamp = _stamp(path)
    known = _digests.get(path)
    if stamp is not None and known is not None and known[0] == stamp:
        return known[1]
    try:
        document = read_document(path, RESULTS_DOCUMENT)  # a corrupt one is set aside
    except (OSError, ValueError):  # unreadable or from a newer release: written anew
        return None
    if document is None:
        return None
    digest = str(document.get("sha256"))
    if stamp is not None:
        _digests[path] = (stamp, digest)
    return digest
