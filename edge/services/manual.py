"""Manual entry: a timing operator types a bib at a point as the runner crosses it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from edge.domain import Entrant, Passing, PassingMethod
from edge.domain.clock import now_us
from edge.errors import InvalidInput, Problem
from edge.imports.passings_csv import normalise_bib
from edge.services.events import get_event
from edge.services.passings import canonical_point, points_by_code
from edge.services.signoff import races_of, require_reason
from edge.store.database import Database


@dataclass(frozen=True)
class ManualEntry:
    """What typing a bib did: the passing, and whether it is new and whose it is."""

    passing: Passing
    point: str
    added: bool  # False: the same bib was typed within the point's repeat window
    known_bib: bool  # False: no entrant wears this bib (the passing is kept all the same)


class ManualEntryService:
    """Passings typed by hand, at the instant they are typed."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def enter(
        self,
        slug: str,
        point: str,
        bib: str,
        *,
        at_us: int | None = None,
        source: str = "console",
        reason: str = "",
        by: str = "operator",
    ) -> ManualEntry:
        """Record ``bib`` at ``point`` now (or at ``at_us``); a double entry is not recorded twice.

        An operator who presses Enter twice, or two operators typing the same
        runner, must not make two passings: a manual passing of the same bib at
        the same point within the point's repeat window is returned instead. A bib of a
        signed-off race needs a ``reason`` (``edge.services.signoff.require_reason``).
        """
        bib = normalise_bib(bib)
        if not bib:
            raise InvalidInput([Problem(where="bib", reason="type a bib number")], "no bib typed")
        at = now_us() if at_us is None else at_us
        async with self.db.write() as session:
            event = await get_event(session, slug)
            points = await points_by_code(session, event)
            code = canonical_point(points, point)
            timing_point = points[code]
            window = timing_point.repeat_window_us
            known = await session.exec(
                select(Entrant.id).where(Entrant.event_id == event.id, Entrant.bib == bib)
            )
            known_bib = known.first() is not None
            previous = await session.exec(
                select(Passing).where(
                    Passing.point_id == timing_point.id,
                    Passing.bib == bib,
                    Passing.method == PassingMethod.MANUAL,
                    col(Passing.time_us) > at - window,
                    col(Passing.time_us) < at + window,
                )
            )
            duplicate = previous.first()
            if duplicate is not None:
                return ManualEntry(duplicate, code, added=False, known_bib=known_bib)
            await require_reason(session, event, await races_of(session, event, [bib]), reason, by)
            passing = Passing(
                event_id=event.id,
                point_id=timing_point.id,
                bib=bib,
                time_us=at,
                method=PassingMethod.MANUAL,
                source=source,
                created_us=now_us(),
            )
            session.add(passing)
            await session.flush()
            return ManualEntry(passing, code, added=True, known_bib=known_bib)
