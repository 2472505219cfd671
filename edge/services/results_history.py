"""The history of a race's results: every correction, undo, sign-off and re-opening.

Exportable (CSV from the console and ``chrono-edge results history``): what changed,
who changed it, why, and in which version of the race's results.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from edge.domain import Correction, Entrant, Race, ResultsVersion
from edge.domain.clock import from_us
from edge.services.corrections import correction_view
from edge.services.events import get_event, get_race
from edge.services.passings import points_by_code
from edge.store.database import Database


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the history."""

    at: str  # ISO 8601 instant in the event's zone
    race: str  # empty: a correction of a bib no entrant wears
    version: int  # the race's results version the change belongs to
    action: str  # "correction" | "undo" | "signoff" | "reopen"
    kind: str = ""  # the correction's kind
    bib: str = ""
    point: str = ""
    time: str = ""  # the new time (move, add, a backup chosen)
    was: str = ""  # the time corrected (move, ignore, choose)
    status: str = ""
    reason: str = ""
    by: str = ""


HISTORY_COLUMNS = [
    "at", "race", "version", "action", "kind", "bib", "point", "time", "was", "status",
    "reason", "by",
]  # fmt: skip


class ResultsHistoryService:
    """Reads the history of an event's results."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def history(self, slug: str, race_code: str | None = None) -> list[HistoryEntry]:
        """Oldest first, of one race or of all (with the corrections of unknown bibs).

        Each correction is placed in the version of its race open when it was made.
        """
        async with self.db.read() as session:
            event = await get_event(session, slug)
            if race_code is not None:
                races = [await get_race(session, event, race_code)]
            else:
                races = list(await session.exec(select(Race).where(Race.event_id == event.id)))
            code_of = {r.id: r.code for r in races}
            versions = (
                await session.exec(
                    select(ResultsVersion)
                    .where(col(ResultsVersion.race_id).in_(list(code_of)))
                    .order_by(col(ResultsVersion.version))
                )
            ).all()
            query = select(Entrant.bib, Entrant.race_id, Entrant.tag1, Entrant.tag2)
            entrants = (await session.exec(query.where(Entrant.event_id == event.id))).all()
            corrections = (
                await session.exec(
                    select(Correction)
                    .where(Correction.event_id == event.id)
                    .order_by(col(Correction.created_us), col(Correction.id))
                )
            ).all()
            points = {p.id: c for c, p in (await points_by_code(session, event)).items()}
        zone = event.timezone

        def at(us: int) -> str:
            return from_us(us).astimezone(ZoneInfo(zone)).isoformat(timespec="milliseconds")

        race_of_bib = {bib: race for bib, race, _, _ in entrants}
        race_of_tag = {tag: race for _, race, *tags in entrants for tag in tags if tag}
        opened: dict[str, list[tuple[int, int]]] = {}
        timed: list[tuple[int, HistoryEntry]] = []
        for v in versions:
            code = code_of[v.race_id]
            if v.version > 1:
                opened.setdefault(v.race_id, []).append((v.opened_us, v.version))
                entry = HistoryEntry(at(v.opened_us), code, v.version, "reopen",
                                     reason=v.reason, by=v.opened_by)  # fmt: skip
                timed.append((v.opened_us, entry))
            if v.signed_us is not None:
                entry = HistoryEntry(at(v.signed_us), code, v.version, "signoff",
                                     by=v.signed_by or "")  # fmt: skip
                timed.append((v.signed_us, entry))

        def version_at(race_id: str | None, us: int) -> int:
            return max((n for t, n in opened.get(race_id or "", []) if t <= us), default=1)

        for c in corrections:
            race_id = race_of_bib.get(c.bib or "") or race_of_tag.get(c.target_epc or "")
            if race_id not in code_of and race_code is not None:
                continue
            view = correction_view(c, event, points)
            base = HistoryEntry(
                at(c.created_us), code_of.get(race_id or "", ""), version_at(race_id, c.created_us),
                "correction", c.kind, c.bib or "", view.point or view.target_point or "",
                view.time or "", view.target_time or "", c.status or "", c.reason, c.created_by,
            )  # fmt: skip
            timed.append((c.created_us, base))
            if c.undone_us is not None:
                undo = HistoryEntry(
                    at(c.undone_us), base.race, version_at(race_id, c.undone_us), "undo",
                    c.kind, base.bib, base.point, base.time, base.was, base.status, "",
                    c.undone_by or "",
                )  # fmt: skip
                timed.append((c.undone_us, undo))
        timed.sort(key=lambda pair: pair[0])
        return [entry for _, entry in timed]
