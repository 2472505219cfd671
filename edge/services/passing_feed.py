"""The console's live feed of passings, each with whose it is and how it was corrected.

The outbox is the change feed: every passing added, recomputed or deleted and
every correction made or undone writes an outbox row, numbered in commit
order, in its own transaction. Following ``outbox.seq`` therefore misses
nothing and shows nothing twice, whatever the clocks of the boxes that made the
rows (a SLAVE's forwarded passing carries the SLAVE's ``created_us``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from edge.domain import Correction, CorrectionKind, Entrant, Event, Passing
from edge.services.corrections import CorrectionView, correction_view, time_of_day
from edge.services.events import get_event
from edge.services.passings import points_by_code, swapped_chips
from edge.store.database import Database

RECENT = 30
"""How many passings the console opens with."""
_CHANGES = text(
    "SELECT seq, table_name, op, row_id FROM outbox WHERE seq > :after"
    " AND table_name IN ('passing', 'correction', 'entrant') ORDER BY seq LIMIT 2000"
)
_NEWEST = text("SELECT coalesce(max(seq), 0) FROM outbox")


@dataclass(frozen=True)
class PassingRow:
    """One line of the console: a passing (or a passing added by a correction)."""

    id: str
    bib: str | None
    name: str
    epc: str | None
    point: str
    time_us: int
    time: str
    method: str
    status: str  # the stored status: valid | ignored | stray
    created_us: int
    state: str  # "" | "ignored" | "moved" | "added" | "undone"
    original_time: str | None  # the time before a move
    original_point: str | None
    correction_id: str | None  # the active correction to undo
    clock_offset_us: int | None = None  # made on a SLAVE this far off the MASTER's clock


@dataclass(frozen=True)
class FeedItem:
    """One thing to tell the console: ``passing``, ``removed`` or ``correction``."""

    event: str
    data: Any
    cursor: int


class PassingFeed:
    """Builds console rows and follows the outbox for changes to them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def recent(self, slug: str, limit: int = RECENT) -> tuple[list[PassingRow], int]:
        """The newest passings (by when they were stored) and the feed cursor to follow from."""
        async with self.db.read() as session:
            cursor = int((await session.exec(_NEWEST)).scalar_one())  # type: ignore[call-overload]
            event = await get_event(session, slug)
            query = select(Passing).where(Passing.event_id == event.id)
            query = query.order_by(col(Passing.created_us).desc()).limit(limit)
            passings = list((await session.exec(query)).all())
            added = select(Correction).where(
                Correction.event_id == event.id,
                Correction.kind == CorrectionKind.ADD,
                col(Correction.undone_us).is_(None),
            )
            added = added.order_by(col(Correction.created_us).desc()).limit(limit)
            adds = list((await session.exec(added)).all())
            rows = (await _Rows.load(session, event, passings, adds)).rows(passings, adds)
        rows.sort(key=lambda r: r.created_us, reverse=True)
        return rows[:limit], cursor

    async def changes(self, slug: str, after: int) -> list[FeedItem]:
        """What changed after outbox seq ``after`` (empty: nothing; else the last is newest)."""
        async with self.db.read() as session:
            found = await session.exec(_CHANGES, params={"after": after})  # type: ignore[call-overload]
            changes = [(int(s), t, o, r) for s, t, o, r in found.all()]
            if not changes:
                return []
            event = await get_event(session, slug)
            last = changes[-1][0]
            passing_ids = {r for _, t, o, r in changes if t == "passing" and o == "upsert"}
            removed = [r for _, t, o, r in changes if t == "passing" and o == "delete"]
            correction_ids = {r for _, t, _, r in changes if t == "correction"}
            corrections = await _by_id(session, Correction, correction_ids, event)
            passing_ids |= {c.passing_id for c in corrections if c.passing_id}
            passings = await _by_id(session, Passing, passing_ids, event)
            # A chip swap (or its undo) gives every passing of the chip another bib.
            chips = sorted(
                c.target_epc for c in corrections if c.kind == CorrectionKind.SWAP and c.target_epc
            )
            if chips:
                swapped = select(Passing).where(
                    Passing.event_id == event.id, col(Passing.epc).in_(chips)
                )
                known = {p.id for p in passings}
                passings += [p for p in (await session.exec(swapped)).all() if p.id not in known]
            adds = [c for c in corrections if c.kind == CorrectionKind.ADD]
            table = await _Rows.load(session, event, passings, adds)
            rows = table.rows(passings, adds, include_undone=True)
            codes = {p.id: c for c, p in (await points_by_code(session, event)).items()}
            views = [correction_view(c, event, codes) for c in corrections]
        items = [FeedItem("removed", {"id": r}, last) for r in removed if r not in passing_ids]
        ordered = sorted(rows, key=lambda r: r.created_us)
        items += [FeedItem("passing", dataclasses.asdict(row), last) for row in ordered]
        items += [FeedItem("correction", describe(view), last) for view in views]
        return items or [FeedItem("cursor", {}, last)]


CHUNK = 500
"""Values in one IN list (SQLite bounds a statement's parameters)."""


async def _by_id(session: AsyncSession, model: Any, ids: Iterable[str], event: Event) -> list[Any]:
    wanted = sorted(ids)
    found: list[Any] = []
    for start in range(0, len(wanted), CHUNK):
        query = select(model).where(col(model.id).in_(wanted[start : start + CHUNK]))
        found += [r for r in (await session.exec(query)).all() if r.event_id == event.id]
    return found


async def _entrants_where(
    session: AsyncSession, event: Event, column: Any, values: Iterable[str]
) -> list[Entrant]:
    """The event's entrants whose ``column`` is one of ``values``."""
    wanted = sorted(values)
    found: list[Entrant] = []
    for start in range(0, len(wanted), CHUNK):
        query = select(Entrant).where(
            Entrant.event_id == event.id, column.in_(wanted[start : start + CHUNK])
        )
        found += (await session.exec(query)).all()
    return found


class _Rows:
    """Names, point codes and active corrections needed to turn passings into rows."""

    def __init__(
        self,
        event: Event,
        codes: dict[str, str],
        names: dict[str, str],
        bib_of_tag: dict[str, str],
        corrections: list[Correction],
    ) -> None:
        self.event = event
        self.codes = codes
        self.names = names
        self.bib_of_tag = bib_of_tag
        self.corrections = corrections

    @classmethod
    async def load(
        cls,
        session: AsyncSession,
        event: Event,
        passings: Sequence[Passing],
        adds: Sequence[Correction],
    ) -> _Rows:
        """Read what the rows of ``passings`` and ``adds`` need, in the caller's transaction.

        Only their runners (by bib or tag) and their passings' corrections: each console
        asks after every new passing, and reading the whole field each time cost O(entrants)
        per console per passing (bench_live).
        """
        codes = {p.id: c for c, p in (await points_by_code(session, event)).items()}
        bibs = {p.bib for p in passings if p.bib} | {c.bib for c in adds if c.bib}
        tags = {p.epc for p in passings if p.epc and not p.bib}
        swapped = await swapped_chips(session, event, tags) if tags else {}
        bibs |= set(swapped.values())
        names: dict[str, str] = {}
        bib_of_tag: dict[str, str] = {}
        people = [
            *await _entrants_where(session, event, col(Entrant.bib), bibs),
            *await _entrants_where(session, event, col(Entrant.tag1), tags),
            *await _entrants_where(session, event, col(Entrant.tag2), tags),
        ]
        for person in people:
            names[person.bib] = f"{person.first_name} {person.last_name}".strip()
            for tag in (person.tag1, person.tag2):
                if tag:
                    bib_of_tag[tag] = person.bib
        bib_of_tag |= swapped  # a chip swap wins over the entrants' own tags
        corrections: list[Correction] = []
        wanted = sorted({p.id for p in passings})
        for start in range(0, len(wanted), CHUNK):
            active = select(Correction).where(
                Correction.event_id == event.id,
                col(Correction.undone_us).is_(None),
                col(Correction.passing_id).in_(wanted[start : start + CHUNK]),
            )
            corrections += (await session.exec(active)).all()
        corrections.sort(key=lambda c: c.created_us)
        return cls(event, codes, names, bib_of_tag, corrections)

    def rows(
        self, passings: list[Passing], adds: list[Correction], *, include_undone: bool = False
    ) -> list[PassingRow]:
        """Rows for the passings and for the passings added by corrections."""
        rows = [self._passing(p) for p in passings]
        rows += [self._added(c) for c in adds if include_undone or c.undone_us is None]
        return rows

    def _passing(self, passing: Passing) -> PassingRow:
        bib = passing.bib or (self.bib_of_tag.get(passing.epc) if passing.epc else None)
        state, correction_id = "", None
        time_us, point_id = passing.time_us, passing.point_id
        for correction in self.corrections:
            if correction.passing_id != passing.id:
                continue
            correction_id = correction.id
            if correction.kind == CorrectionKind.IGNORE:
                state = "ignored"
            elif correction.kind == CorrectionKind.MOVE and state != "ignored":
                state = "moved"
                time_us = correction.time_us if correction.time_us is not None else time_us
                point_id = correction.point_id or point_id
        moved = state == "moved"
        return PassingRow(
            id=passing.id,
            bib=bib,
            name=self.names.get(bib, "") if bib else "",
            epc=passing.epc,
            point=self.codes.get(point_id, "?"),
            time_us=time_us,
            time=time_of_day(time_us, self.event.timezone),
            method=passing.method,
            status=passing.status,
            created_us=passing.created_us,
            state=state,
            original_time=time_of_day(passing.time_us, self.event.timezone) if moved else None,
            original_point=self.codes.get(passing.point_id) if moved else None,
            correction_id=correction_id,
            clock_offset_us=passing.clock_offset_us,
        )

    def _added(self, correction: Correction) -> PassingRow:
        bib = correction.bib
        time_us = correction.time_us or 0
        return PassingRow(
            id=correction.id,
            bib=bib,
            name=self.names.get(bib, "") if bib else "",
            epc=None,
            point=self.codes.get(correction.point_id or "", "?"),
            time_us=time_us,
            time=time_of_day(time_us, self.event.timezone),
            method="added",
            status="valid",
            created_us=correction.created_us,
            state="undone" if correction.undone_us is not None else "added",
            original_time=None,
            original_point=None,
            correction_id=correction.id,
        )


def describe(view: CorrectionView) -> dict[str, Any]:
    """A correction as the console's list shows it."""
    return {
        "id": view.id,
        "kind": view.kind,
        "active": view.active,
        "bib": view.bib,
        "point": view.point or view.target_point,
        "time": view.time,
        "from_time": view.target_time,
        "status": view.status,
        "reason": view.reason,
        "by": view.created_by,
        "created_us": view.created_us,
        "undone_by": view.undone_by,
        "chip": view.epc,  # swap: the chip given to ``bib``
    }
