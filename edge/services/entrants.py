"""Importing and reading entrants."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from edge.domain import Entrant, Event, ManualStatus
from edge.errors import InvalidInput, NotFound, Problem
from edge.imports.csvfile import cell_values, read_csv_table
from edge.imports.entrant_columns import ALIASES
from edge.imports.entrants_csv import EntrantsFile, parse_entrants_csv
from edge.imports.headers import map_headers
from edge.imports.passings_csv import normalise_bib
from edge.phrase import Phrase
from edge.services.entrant_rows import (
    RaceIds,
    race_ids,
    relay_conflicts,
    relay_legs,
    row_values,
    team_mates,
)
from edge.services.events import EventOverview, get_event, load_overview
from edge.services.signoff import require_reason
from edge.store.database import Database


@dataclass(frozen=True)
class ImportRow:
    """What an import does (or would do) with one row: added, updated, unchanged or error."""

    line: int
    bib: str
    name: str
    action: str
    detail: str = ""  # the reasons, or the entrant's attributes that change, in English
    reasons: tuple[str, ...] = ()  # why the row is an error, each a Phrase a page translates
    changed: tuple[str, ...] = ()  # the entrant's attributes an update changes


@dataclass
class ImportReport:
    """The outcome of an import: counts, and every problem found (nothing written if any)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = False
    encoding: str = ""
    delimiter: str = ""
    ignored_headers: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows: list[ImportRow] = field(default_factory=list)


class EntrantService:
    """Entrants of an event."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def import_csv(
        self,
        slug: str,
        data: bytes,
        *,
        dry_run: bool = False,
        reason: str = "",
        by: str = "operator",
    ) -> ImportReport:
        """Import (create or update by bib) entrants from CSV bytes; all or nothing.

        Once a race of the event is signed off an import needs a ``reason`` (it may
        touch any race: each signed-off one re-opens).

        With bad rows nothing is written: a dry run returns the report, a real
        import raises InvalidInput listing every bad row.
        """
        async with self.db.write() as session:
            event = await get_event(session, slug)
            overview = await load_overview(session, event)
            races = {r.race.code: race_ids(r) for r in overview.races}
            waves, names = _races_of(overview)
            legs = relay_legs(races)
            # CPU-bound: in a thread, so screens and /healthz answer during a big import.
            parsed = await asyncio.to_thread(
                parse_entrants_csv, data, waves, race_names=names, race_legs=legs
            )
            existing = {
                e.bib: e
                for e in (await session.exec(select(Entrant).where(Entrant.event_id == event.id)))
            }
            report = ImportReport(
                encoding=parsed.encoding,
                delimiter=parsed.delimiter,
                ignored_headers=list(parsed.ignored_headers),
                problems=[
                    *parsed.problems,
                    *_tag_conflicts(parsed, existing),
                    *relay_conflicts(parsed, existing, races),
                ],
            )
            report.problems.sort(key=lambda p: p.line or 0)
            if report.problems and not dry_run:
                raise InvalidInput(
                    report.problems,
                    Phrase(
                        "{n} problems in the entrants file; nothing was imported",
                        n=len(report.problems),
                    ),
                )
            # Building 20,000 rows costs seconds of CPU: in a thread as well.
            new_rows, done = await asyncio.to_thread(
                _merge_rows, parsed, existing, races, event.id, report
            )
            report.rows = await asyncio.to_thread(_row_outcomes, data, done, report.problems)
            if dry_run or report.problems:
                await session.rollback()
                return report
            if new_rows or any(action != "unchanged" for action, _ in done.values()):
                await require_reason(session, event, None, reason, by)
            if new_rows:
                # Core insert: the ORM would cost seconds on a 20,000-entrant file.
                await (await session.connection()).execute(insert(Entrant), new_rows)
            report.written = True
            return report

    async def update_entrant(
        self,
        slug: str,
        bib: str,
        values: Mapping[str, str],
        *,
        reason: str = "",
        by: str = "operator",
    ) -> Entrant:
        """Change one entrant from form text (checked as an import row would be); all or nothing.

        ``values`` holds the CSV columns of EDIT_COLUMNS; the bib cannot change. A change
        to an entrant of a signed-off race (or moving one into it) needs a ``reason``.
        """
        async with self.db.write() as session:
            event = await get_event(session, slug)
            entrant = await entrant_of_event(session, event, normalise_bib(bib))
            if entrant is None:
                raise NotFound(f"no entrant with bib {bib!r} in event {event.slug!r}")
            overview = await load_overview(session, event)
            races = {r.race.code: race_ids(r) for r in overview.races}
            waves, names = _races_of(overview)
            parsed = parse_entrants_csv(
                _one_row(entrant.bib, values), waves, race_names=names, race_legs=relay_legs(races)
            )
            wearers = await _tag_wearers(session, event, parsed)
            mates = await team_mates(session, event, parsed, races)
            problems = [
                *parsed.problems,
                *_tag_conflicts(parsed, wearers),
                *relay_conflicts(parsed, {entrant.bib: entrant, **mates}, races),
            ]
            if problems:
                fixes = [Problem(p.where, p.reason) for p in problems]  # no file lines here
                raise InvalidInput(fixes, Phrase("bib {bib} was not changed", bib=entrant.bib))
            row = parsed.rows[0]
            was = entrant.race_id
            if _update(entrant, row_values(row, parsed.columns, races[row.race], entrant)):
                await require_reason(session, event, {was, entrant.race_id}, reason, by)
                session.add(entrant)  # the outbox trigger replicates the change
            return entrant

    async def set_manual_status(
        self,
        slug: str,
        bib: str,
        status: ManualStatus | None,
        *,
        reason: str = "",
        by: str = "operator",
    ) -> Entrant:
        """Set (or clear with None) the status an operator gives by hand: DSQ or DNF.

        After the race's sign-off it needs a ``reason`` (re-opening the results).
        """
        async with self.db.write() as session:
            event = await get_event(session, slug)
            entrant = await _set_status(session, event, normalise_bib(bib), status)
            await require_reason(session, event, {entrant.race_id}, reason, by)
            return entrant

    async def list_entrants(
        self, slug: str, *, race: str | None = None, search: str | None = None
    ) -> list[Entrant]:
        """Return the entrants of an event, optionally of one race or matching a search."""
        async with self.db.read() as session:
            event = await get_event(session, slug)
            query = select(Entrant).where(Entrant.event_id == event.id)
            if race is not None:
                overview = await load_overview(session, event)
                ids = [
                    r.race.id for r in overview.races if r.race.code.casefold() == race.casefold()
                ]
                query = query.where(col(Entrant.race_id).in_(ids))
            if search:
                like = f"%{search}%"
                query = query.where(
                    or_(
                        col(Entrant.bib) == search,
                        col(Entrant.last_name).ilike(like),
                        col(Entrant.first_name).ilike(like),
                        col(Entrant.club).ilike(like),
                    )
                )
            return list((await session.exec(query)).all())


async def _set_status(
    session: AsyncSession, event: Event, bib: str, status: ManualStatus | None
) -> Entrant:
    entrant = await entrant_of_event(session, event, bib)
    if entrant is None:
        raise NotFound(f"no entrant with bib {bib!r} in event {event.slug!r}")
    entrant.manual_status = status
    session.add(entrant)
    return entrant


def _races_of(overview: EventOverview) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The event's races as the parser takes them: wave codes and names, by race code."""
    waves = {r.race.code: [w.code for w in r.waves] for r in overview.races}
    return waves, {r.race.code: r.race.name for r in overview.races}


def _merge_rows(
    parsed: EntrantsFile,
    existing: dict[str, Entrant],
    races: dict[str, RaceIds],
    event_id: str,
    report: ImportReport,
) -> tuple[list[dict[str, Any]], dict[int, tuple[str, tuple[str, ...]]]]:
    """New entrants' rows to insert, existing ones updated in place, the outcome per line.

    ``report`` counts them. Runs in a thread while the import's coroutine waits, so
    the session's objects are never touched by two threads at once.
    """
    new_rows: list[dict[str, Any]] = []
    done: dict[int, tuple[str, tuple[str, ...]]] = {}  # line -> (action, changed)
    for row in parsed.rows:
        entrant = existing.get(row.bib)
        values = row_values(row, parsed.columns, races[row.race], entrant)
        if entrant is None:
            new = Entrant(event_id=event_id, bib=row.bib, **values)
            new_rows.append(new.model_dump())
            report.created += 1
            done[row.line] = ("added", ())
            continue
        changed = tuple(n for n, v in values.items() if getattr(entrant, n) != v)
        if _update(entrant, values):
            report.updated += 1
            done[row.line] = ("updated", changed)
        else:
            report.unchanged += 1
            done[row.line] = ("unchanged", ())
    return new_rows, done


EDIT_COLUMNS = ("last_name", "first_name", "sex", "birth_date", "birth_year", "club", "team",
                "race", "wave", "tag1", "tag2", "category", "leg")  # fmt: skip
"""Fields of an entrant an operator edits (as import columns; bib, status excluded)."""


def _one_row(bib: str, values: Mapping[str, str]) -> bytes:
    """A one-record entrants file, so that an edit is checked exactly as an import is."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(["bib", *EDIT_COLUMNS])
    writer.writerow([bib, *(str(values.get(c) or "").strip() for c in EDIT_COLUMNS)])
    return out.getvalue().encode("utf-8")


async def _tag_wearers(
    session: AsyncSession, event: Event, parsed: EntrantsFile
) -> dict[str, Entrant]:
    """Stored entrants wearing a tag the parsed rows give, by bib."""
    tags = [t for row in parsed.rows for t in (row.tag1, row.tag2) if t]
    if not tags:
        return {}
    query = select(Entrant).where(
        Entrant.event_id == event.id,
        or_(col(Entrant.tag1).in_(tags), col(Entrant.tag2).in_(tags)),
    )
    return {e.bib: e for e in (await session.exec(query)).all()}


def _row_outcomes(
    data: bytes, done: dict[int, tuple[str, tuple[str, ...]]], problems: list[Problem]
) -> list[ImportRow]:
    """Every record of the file with what happens to it; a row with a problem is an error."""
    table = read_csv_table(data)
    columns = map_headers(table.headers, ALIASES, table.header_line)[0]
    reasons: dict[int, list[str]] = {}
    for problem in problems:
        if problem.line is not None:
            reasons.setdefault(problem.line, []).append(problem.reason)
    outcomes = []
    for line, cells in table.rows:
        values = cell_values(columns, cells)
        name = f"{values.get('first_name', '')} {values.get('last_name', '')}".strip()
        bib = normalise_bib(values.get("bib", ""))
        why = reasons.get(line) or ([] if line in done else [Phrase("row not read")])
        if why:
            outcomes.append(ImportRow(line, bib, name, "error", "; ".join(why), tuple(why)))
        else:
            action, changed = done[line]
            outcomes.append(ImportRow(line, bib, name, action, ", ".join(changed), (), changed))
    return outcomes


def _update(entrant: Entrant, values: dict[str, Any]) -> bool:
    """Apply changed values to an existing entrant; return whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(entrant, name) != value:
            setattr(entrant, name, value)
            changed = True
    return changed


def _tag_conflicts(parsed: EntrantsFile, existing: dict[str, Entrant]) -> list[Problem]:
    """Tags in the file already worn by a stored entrant the file does not update."""
    in_file = {row.bib for row in parsed.rows}
    worn: dict[str, str] = {}
    for entrant in existing.values():
        if entrant.bib in in_file:
            continue
        for tag in (entrant.tag1, entrant.tag2):
            if tag:
                worn[tag] = entrant.bib
    problems = []
    for row in parsed.rows:
        for tag in (row.tag1, row.tag2):
            if tag and tag in worn:
                problems.append(
                    Problem(
                        where=Phrase("bib {bib}", bib=row.bib),
                        reason=Phrase(
                            "tag {tag} is already worn by bib {bib}", tag=tag, bib=worn[tag]
                        ),
                        line=row.line,
                    )
                )
    return problems


async def entrant_of_event(session: AsyncSession, event: Event, bib: str) -> Entrant | None:
    """Return the entrant with ``bib`` in ``event`` if there is one."""
    query = select(Entrant).where(Entrant.event_id == event.id, Entrant.bib == bib)
    return (await session.exec(query)).first()
