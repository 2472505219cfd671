"""The live-results cache: one JSON document per race, rewritten only when results change.

The speaker screens read the files; central gets each new version through the
outbox (table ``results_snapshot``), in the same pipe and order as the reads.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import tempfile
import zlib
from collections.abc import Iterator
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
from edge.store.documents import SCHEMA_KEY, DocumentKind, read_document
from edge.store.files import DEFAULT_MODE, move_into_place
from edge.sync.snapshots import PACKED_KEY, RESULTS_TABLE
from edge.timing.course import race_open
from edge.timing.export import Cell, relay_columns, relay_rows, result_columns, result_row
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
        updated = now_us()
        course = {"points": await self._points(slug, race)}
        columns = _columns(spec)
        document = {
            "event": slug,
            "race": race,
            "updated_us": updated,
            **stamp,
            **course,
            "columns": columns,
            **ranked,
        }
        # The rows go from the sheet to the file one at a time, hashed and packed for
        # central as they go (edge.services.results_keeper: serve does this every round).
        temporary, digest, packed = await asyncio.to_thread(
            _stream_document, path, document, stamp, columns, _rows(sheet), ranked
        )
        del sheet
        _published[key] = (state, digest)
        if _stored_digest(path) == digest:
            temporary.unlink(missing_ok=True)
            return None
        await asyncio.to_thread(move_into_place, temporary, path)
        # Central gets the rows packed: a big race's sheet is one value, not 20,000 objects.
        payload = json.dumps(
            {
                "event": slug,
                "race": race,
                "updated_us": updated,
                "sha256": digest,
                **stamp,
                **course,
                **ranked,
                PACKED_KEY: packed,
            }
        )
        del packed
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


def _columns(spec: RaceSpec) -> list[str]:
    return relay_columns(spec) if spec.format is RaceFormat.RELAY else result_columns(spec)


def _rows(sheet: RaceSheet) -> Iterator[dict[str, Cell]]:
    """The sheet's rows, each made when it is asked for (``sheet_rows`` makes them all)."""
    spec = sheet.spec
    if spec.format is RaceFormat.RELAY:
        return iter(relay_rows(sheet.relay))
    return (result_row(result, spec) for result in sheet.results)


def _stream_document(
    path: Path,
    document: dict[str, object],
    stamp: dict[str, object],
    columns: list[str],
    rows: Iterator[dict[str, Cell]],
    ranked: dict[str, object],
) -> tuple[Path, str, str]:
    """Write ``document`` with its ``rows`` to a synced temporary file beside ``path``, one
    row at a time, and hash and pack them as they go: (the file, the digest, the packed
    rows for central). No text as big as the document is held.

    The digest is the sha256 of ``{**stamp, "columns", "rows", **ranked}`` in compact JSON,
    the document's ``sha256`` (written last, after its rows). Built as whole strings (the
    rows as objects, as JSON, then the document, the digest's body and the packed copy),
    a 20,000-row round peaked ~20 MB above serve's resting memory (measured in-process).
    """
    digest = hashlib.sha256(_open_rows({**stamp, "columns": columns}).encode())
    packer = zlib.compressobj(PACK_LEVEL)
    packed = [packer.compress(_open_rows({"columns": columns}).encode())]
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates it 0600, as edge.store.files does: entrants' names.
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(_open_rows({SCHEMA_KEY: RESULTS_DOCUMENT.version, **document}))
            comma = ""
            for row in rows:
                text = comma + json.dumps({c: row.get(c) for c in columns}, separators=SEP)
                file.write(text)
                digest.update(text.encode())
                cells = comma + json.dumps([row.get(c) for c in columns], separators=SEP)
                packed.append(packer.compress(cells.encode()))
                comma = ","
            more = json.dumps(ranked, separators=SEP)[1:-1] if ranked else ""
            digest.update(("]" + ("," + more if more else "") + "}").encode())
            file.write(f'],"sha256":"{digest.hexdigest()}"}}\n')
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, DEFAULT_MODE)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    packed.append(packer.compress(b"]}") + packer.flush())
    return temporary, digest.hexdigest(), base64.b64encode(b"".join(packed)).decode("ascii")


SEP = (",", ":")
"""The documents' JSON separators (no spaces): their digests depend on them."""
PACK_LEVEL = 6
"""zlib's level for central's packed rows (edge.sync.snapshots.pack_text's)."""


def _open_rows(head: dict[str, object]) -> str:
    """``head`` in compact JSON, left open after a last key ``rows`` opening its list."""
    return json.dumps(head, separators=SEP)[:-1] + ',"rows":['


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
