"""Export files of race results: asked for on the page, made by the worker, downloaded after."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge.domain import Event
from edge.errors import InvalidInput, NotFound, Problem
from edge.exports.csvsheet import csv_bytes, results_csv_bytes
from edge.exports.files import EXTENSIONS, export_name, is_export_name, write_export
from edge.exports.tables import (
    Table,
    category_groups,
    category_tables,
    relay_tables,
    scratch_groups,
    scratch_tables,
    team_tables,
)
from edge.exports.words import SheetWords, sheet_words
from edge.roleconfig import load_role
from edge.services.events import EventService, get_event, get_race
from edge.services.exports_sheet import export_sheet
from edge.services.results import RaceSheet
from edge.services.signoff import SignoffService
from edge.store.database import Database
from edge.timing.export import result_columns
from edge.timing.model import EntrantResult, RaceFormat

if TYPE_CHECKING:  # the job kinds import this module, and jobs.py imports the job kinds
    from edge.services.jobs import JobService

FORMATS: dict[str, tuple[str, ...]] = {
    "scratch": ("csv", "xlsx", "pdf"),
    "category": ("csv", "xlsx", "pdf"),
    "teams": ("csv", "xlsx", "pdf"),
    "certificates": ("pdf",),
}
"""Export kinds and the formats each comes in."""
JOB_KINDS = {"certificates": "exports.certificates"}
RESULTS_JOB = "exports.results"
QUEUE = "exports"
LANGUAGES = ("en", "fr")
PAGES_PER_REPORT = 25
STATE_COLUMN = "results_state"
"""The last column of CSV and XLSX exports: provisional or official, and the version."""
Progress = Callable[[int, str], Awaitable[None]]


@dataclass(frozen=True)
class ExportRequest:
    """One file to make: a race's results of one kind in one format."""

    event: str
    race: str
    kind: str
    format: str
    language: str | None = None  # None: English; an English CSV keeps its machine column names

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ExportRequest:
        """Check a form or job payload; every wrong field is reported."""
        values = {k: str(payload.get(k) or "").strip() for k in ("event", "race", "kind", "format")}
        problems = [Problem(k, f"{k} is missing") for k, v in values.items() if not v]
        kind, fmt = values["kind"], values["format"]
        if kind and kind not in FORMATS:
            problems.append(Problem("kind", f"kind {kind!r} is not one of {', '.join(FORMATS)}"))
        elif kind and fmt and fmt not in FORMATS[kind]:
            allowed = ", ".join(FORMATS[kind])
            problems.append(Problem("format", f"a {kind} export comes as {allowed}, not {fmt!r}"))
        language = str(payload.get("language") or "").strip() or None
        if language is not None and language not in LANGUAGES:
            reason = f"language {language!r} is not one of {', '.join(LANGUAGES)}"
            problems.append(Problem("language", reason))
        if problems:
            raise InvalidInput(problems, "this export cannot be made; nothing was started")
        return cls(**values, language=language)

    @property
    def job_kind(self) -> str:
        """The job kind that makes this file."""
        return JOB_KINDS.get(self.kind, RESULTS_JOB)

    def file_name(self) -> str:
        """The name of the file this export writes (``..._scratch-fr.pdf`` in French)."""
        # The language is in the name so that a French sheet never replaces an English one.
        translated = self.language not in (None, "en")
        kind = f"{self.kind}-{self.language}" if translated else self.kind
        return export_name(self.event, self.race, kind, self.format)


@dataclass(frozen=True)
class ExportFile:
    """A finished export in the exports folder."""

    name: str
    size: int
    modified_s: float


class ExportService:
    """Makes export files into one folder and hands them out by name only."""

    def __init__(self, db: Database, folder: Path, public_url: str = "") -> None:
        self.db = db
        self.folder = folder
        # Central as spectators reach it: a PDF sheet carries a QR code of the event's page.
        self.public_url = public_url

    async def check(self, request: ExportRequest) -> None:
        """Refuse an export of an unknown event or race, or of teams where there are none."""
        async with self.db.read() as session:
            event = await get_event(session, request.event)
            race = await get_race(session, event, request.race)
        if request.kind == "teams" and not race.team_size:
            problem = Problem("kind", f"race {race.code} has no team ranking")
            raise InvalidInput([problem], "this export cannot be made; nothing was started")

    async def start(self, request: ExportRequest, jobs: JobService) -> int:
        """Check the request, then queue the job that makes the file; return the job's id."""
        await self.check(request)
        return await jobs.queue.enqueue(request.job_kind, asdict(request), queue=QUEUE)

    async def produce(self, request: ExportRequest, progress: Progress) -> ExportFile:
        """Compute the race's results and write the file (atomically); report progress."""
        await self.check(request)
        await progress(5, "computing results")
        sheet = await export_sheet(self.db, request.event, request.race)
        # Provisional or official: every file says which (edge.services.signoff).
        state = await SignoffService(self.db).state(request.event, request.race)
        said = sheet_words(request.language).state(state.state.value, state.version)
        await progress(30, "writing")
        if request.kind == "certificates":
            data = await _certificates(sheet, request.language, progress, said)
        else:
            live = live_page(self.public_url, request.event)
            data = await asyncio.to_thread(_sheet_bytes, sheet, request, said, live)
        await progress(95, "saving")
        path = await asyncio.to_thread(write_export, self.folder, request.file_name(), data)
        stat = path.stat()
        return ExportFile(path.name, stat.st_size, stat.st_mtime)

    def files(self) -> list[ExportFile]:
        """Export files present, newest first."""
        if not self.folder.is_dir():
            return []
        found = [
            ExportFile(p.name, p.stat().st_size, p.stat().st_mtime)
            for p in self.folder.iterdir()
            if p.is_file() and is_export_name(p.name)
        ]
        return sorted(found, key=lambda f: f.modified_s, reverse=True)

    def path_of(self, name: str) -> Path:
        """The file called ``name`` in the exports folder; never anything outside it."""
        if is_export_name(name):
            path = self.folder / name
            if path.is_file() and path.resolve().parent == self.folder.resolve():
                return path
        raise NotFound(f"no export file {name!r}; start the export again from /exports")

    @staticmethod
    def media_type(name: str) -> str:
        """The Content-Type of an export file."""
        return EXTENSIONS[name.rsplit(".", 1)[-1]]


def public_results_url(configured: str, role_file: Path) -> str:
    """Central's address for spectators: the setting, else the one the box enrolled with.

    A box enrolls over the internet before any tunnel exists, so that address is central's
    public one; an unreadable or unenrolled role file gives none (no QR code).
    """
    if configured:
        return configured
    try:
        central = load_role(role_file).central
    except (OSError, InvalidInput):  # the worker logs a bad reader.json elsewhere
        return ""
    return central.url if central is not None else ""


def live_page(public_url: str, event: str) -> str | None:
    """The spectators' page of ``event`` on central at ``public_url`` (None: no address)."""
    return f"{public_url.rstrip('/')}/public/events/{event}" if public_url else None


def _groups(sheet: RaceSheet, kind: str, words: SheetWords) -> list[list[EntrantResult]] | None:
    """The entrants' results a sheet lists, table after table (None: a sheet of teams)."""
    if kind == "category":
        order = [c.code for c in sheet.race.categories]
        return [group for _, group in category_groups(sheet.results, order, words)]
    if kind == "teams" or sheet.spec.format is RaceFormat.RELAY:
        return None
    return [group for _, group in scratch_groups(sheet.results, words)]


def _tables(sheet: RaceSheet, kind: str, words: SheetWords) -> list[Table]:
    spec = sheet.spec
    if kind == "category":
        order = [c.code for c in sheet.race.categories]
        return category_tables(sheet.results, spec, order, words)
    if kind == "teams":
        return team_tables(sheet.teams, words)
    if spec.format is RaceFormat.RELAY:
        return relay_tables(sheet.relay, spec, words)
    return scratch_tables(sheet.results, spec, words)


def _stamped(tables: list[Table], said: str) -> list[Table]:
    """The tables with a last column saying whether the results are provisional or official.

    The rows are stamped in place: they were made for this export alone, and copying
    20,000 of them cost more than writing them (bench_exports)."""
    for table in tables:
        for row in table.rows:
            row[STATE_COLUMN] = said
    return [Table(t.title, (*t.columns, STATE_COLUMN), t.rows) for t in tables]


def _sheet_bytes(
    sheet: RaceSheet, request: ExportRequest, said: str, live_url: str | None = None
) -> bytes:
    words = sheet_words(request.language)
    if request.format == "csv":
        # English keeps the machine column names scripts read (the API's, central's JSON's).
        people = words if request.language not in (None, "en") else None
        groups = _groups(sheet, request.kind, words)
        # Entrants' rows are written straight from the results; teams, and a sheet of
        # no table at all (no finisher in any category: not even a header), as tables.
        if groups:
            columns = (*result_columns(sheet.spec), STATE_COLUMN)
            header = columns if people is None else [people.heading(c) for c in columns]
            return results_csv_bytes(chain.from_iterable(groups), sheet.spec, header, said)
        return csv_bytes(_stamped(_tables(sheet, request.kind, words), said), people)
    tables = _tables(sheet, request.kind, words)
    if request.format != "pdf":  # a PDF says it once, under its heading
        tables = _stamped(tables, said)
    heading = f"{sheet.event.name} — {sheet.race.race.name}"
    # openpyxl and fpdf2 (with Pillow, fontTools, cryptography: ~30 MB) are imported by
    # the export that needs them, in the worker: never by the web process that lists exports.
    if request.format == "xlsx":
        from edge.exports.workbook import xlsx_bytes

        return xlsx_bytes(tables, heading, words)
    from edge.exports.document import pdf_bytes

    subheading = f"{sheet.event.date.isoformat()} · {words.kind(request.kind)} · {said}"
    return pdf_bytes(tables, heading, subheading, words, live_url)


async def _certificates(
    sheet: RaceSheet, language: str | None, progress: Progress, said: str
) -> bytes:
    from edge.exports.certificate import CertificateBook, certificates_of, relay_certificates

    language = language or "en"
    event, date, race = sheet.event.name, sheet.event.date, sheet.race.race.name
    if sheet.spec.format is RaceFormat.RELAY:
        made = relay_certificates(sheet.relay, event, date, race, language)
    else:
        made = certificates_of(sheet.results, event, date, race, language, spec=sheet.spec)
    book = CertificateBook(language, results=said)
    for done, certificate in enumerate(made, start=1):
        book.add(certificate)
        if done % PAGES_PER_REPORT == 0:
            # Also gives the worker a chance to cancel a long run between pages.
            await progress(30 + 60 * done // len(made), f"certificate {done}/{len(made)}")
    return await asyncio.to_thread(book.to_bytes)


async def pick_event(db: Database, role_file: Path, requested: str | None) -> Event | None:
    """The event a page shows: the one asked for, else the box's event, else the newest."""
    events = await EventService(db).list_events()
    wanted = requested or load_role(role_file).event
    for event in events:
        if event.slug == wanted:
            return event
    if requested:
        raise NotFound(f"no event with slug {requested!r}")
    return events[0] if events else None


async def recent_exports(jobs: JobService, limit: int = 20) -> list[dict[str, Any]]:
    """The latest export jobs with what they make, their progress and, once done, their file."""
    kinds = {RESULTS_JOB, *JOB_KINDS.values()}
    listed = [j for j in await jobs.admin.list(None, 500) if j["kind"] in kinds][:limit]
    found = []
    for summary in listed:
        job = await jobs.admin.get(summary["id"])
        result = job["result"] if isinstance(job["result"], dict) else {}
        found.append(
            {
                "id": job["id"],
                "state": job["state"],
                "progress": job["progress"],
                "stage": job["stage"],
                "request": job["payload"],
                "file": result.get("file"),
                "errors": [
                    e.get("error", str(e)) if isinstance(e, dict) else str(e) for e in job["errors"]
                ],
            }
        )
    return found
